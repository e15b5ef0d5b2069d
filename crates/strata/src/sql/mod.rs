//! SQL text: statement splitting on PostgreSQL lexical rules, error positions (to be written)
