CREATE TABLE shadow_ledger (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    decision_id bigint NOT NULL REFERENCES decisions (id),
    amount      numeric(18, 6) NOT NULL
);
CREATE INDEX shadow_ledger_decision_id_idx ON shadow_ledger (decision_id);
