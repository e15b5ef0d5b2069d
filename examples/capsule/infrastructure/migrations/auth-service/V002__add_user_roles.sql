-- V002__add_user_roles.sql
-- Description: roles as a table instead of a free-text column
-- Rollback: DROP TABLE user_roles; DROP TABLE roles;

CREATE TABLE roles (
    name VARCHAR(50) PRIMARY KEY,
    description TEXT NOT NULL
);

INSERT INTO roles (name, description) VALUES
    ('user', 'A signed-up user'),
    ('admin', 'Manages the platform');

CREATE TABLE user_roles (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role VARCHAR(50) NOT NULL REFERENCES roles(name),
    PRIMARY KEY (user_id, role)
);

INSERT INTO user_roles (user_id, role) SELECT id, role FROM users WHERE role IS NOT NULL;
