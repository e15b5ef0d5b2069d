-- strata schema dump, format 1
-- database: dreichor
-- server major version: 15
--
-- Written from the catalogs by `strata schema dump`; regenerate it rather than edit it.
-- Each object is its `-- strata:` record (what `strata drift --against` reads) and its SQL.

SET check_function_bodies = false;

-- strata: {"schema":{"name":"public","comment":"standard public schema"}}
CREATE SCHEMA IF NOT EXISTS public;
COMMENT ON SCHEMA public IS 'standard public schema';

-- strata: {"table":{"schema":"public","name":"decision_memory","columns":[{"name":"decision_id","type":"bigint","not_null":true},{"name":"context","type":"jsonb","not_null":true,"default":"'{}'::jsonb"}],"unlogged":false,"rls_enabled":false,"rls_forced":false}}
CREATE TABLE public.decision_memory (
    decision_id bigint NOT NULL,
    context jsonb DEFAULT '{}'::jsonb NOT NULL
);

-- strata: {"table":{"schema":"public","name":"decisions","columns":[{"name":"id","type":"bigint","not_null":true,"identity":"always"},{"name":"made_at","type":"timestamp with time zone","not_null":true,"default":"now()"},{"name":"instrument","type":"text","not_null":true},{"name":"action","type":"text","not_null":true}],"unlogged":false,"rls_enabled":false,"rls_forced":false}}
CREATE TABLE public.decisions (
    id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    made_at timestamp with time zone DEFAULT now() NOT NULL,
    instrument text NOT NULL,
    action text NOT NULL
);

-- strata: {"table":{"schema":"public","name":"shadow_ledger","columns":[{"name":"id","type":"bigint","not_null":true,"identity":"always"},{"name":"decision_id","type":"bigint","not_null":true},{"name":"amount","type":"numeric(18,6)","not_null":true}],"unlogged":false,"rls_enabled":false,"rls_forced":false}}
CREATE TABLE public.shadow_ledger (
    id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    decision_id bigint NOT NULL,
    amount numeric(18,6) NOT NULL
);

-- strata: {"constraint":{"schema":"public","table":"decision_memory","name":"decision_memory_pkey","kind":"primary key","definition":"PRIMARY KEY (decision_id)"}}
ALTER TABLE public.decision_memory ADD CONSTRAINT decision_memory_pkey PRIMARY KEY (decision_id);

-- strata: {"constraint":{"schema":"public","table":"decisions","name":"decisions_action_check","kind":"check","definition":"CHECK ((action = ANY (ARRAY['buy'::text, 'sell'::text, 'hold'::text])))"}}
ALTER TABLE public.decisions ADD CONSTRAINT decisions_action_check CHECK ((action = ANY (ARRAY['buy'::text, 'sell'::text, 'hold'::text])));

-- strata: {"constraint":{"schema":"public","table":"decisions","name":"decisions_pkey","kind":"primary key","definition":"PRIMARY KEY (id)"}}
ALTER TABLE public.decisions ADD CONSTRAINT decisions_pkey PRIMARY KEY (id);

-- strata: {"constraint":{"schema":"public","table":"shadow_ledger","name":"shadow_ledger_pkey","kind":"primary key","definition":"PRIMARY KEY (id)"}}
ALTER TABLE public.shadow_ledger ADD CONSTRAINT shadow_ledger_pkey PRIMARY KEY (id);

-- strata: {"constraint":{"schema":"public","table":"decision_memory","name":"decision_memory_decision_id_fkey","kind":"foreign key","definition":"FOREIGN KEY (decision_id) REFERENCES public.decisions(id)"}}
ALTER TABLE public.decision_memory ADD CONSTRAINT decision_memory_decision_id_fkey FOREIGN KEY (decision_id) REFERENCES public.decisions(id);

-- strata: {"constraint":{"schema":"public","table":"shadow_ledger","name":"shadow_ledger_decision_id_fkey","kind":"foreign key","definition":"FOREIGN KEY (decision_id) REFERENCES public.decisions(id)"}}
ALTER TABLE public.shadow_ledger ADD CONSTRAINT shadow_ledger_decision_id_fkey FOREIGN KEY (decision_id) REFERENCES public.decisions(id);

-- strata: {"index":{"schema":"public","name":"shadow_ledger_decision_id_idx","table":"shadow_ledger","definition":"CREATE INDEX shadow_ledger_decision_id_idx ON public.shadow_ledger USING btree (decision_id)","valid":true}}
CREATE INDEX shadow_ledger_decision_id_idx ON public.shadow_ledger USING btree (decision_id);
