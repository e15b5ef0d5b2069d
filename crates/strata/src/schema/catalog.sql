-- The whole snapshot in one statement (one round trip, one MVCC snapshot of
-- the catalogs), as one JSON document shaped like schema::Snapshot.
-- $1: the schemas (text[]); $2, $3: the history table's schema and name.
-- Run with search_path = pg_catalog, so deparsed names are qualified.
-- Objects that belong to an extension (pg_depend deptype 'e') or that
-- PostgreSQL made for another object (deptype 'i': array types, range
-- constructors, identity sequences) are left out.
WITH ns AS (
    SELECT oid, nspname FROM pg_namespace WHERE nspname = ANY ($1::text[])
), hist AS (
    SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = $2 AND c.relname = $3
), rel AS (
    SELECT c.oid, c.relname, c.relkind, c.relpersistence, c.relrowsecurity,
           c.relforcerowsecurity, c.relispartition, c.relpartbound, n.nspname
    FROM pg_class c JOIN ns n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'i', 'I')
      AND c.oid NOT IN (SELECT oid FROM hist)
      AND NOT EXISTS (SELECT 1 FROM pg_depend d
                      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                        AND d.deptype IN ('e', 'i')
                        -- a partitioned table depends on its own key columns
                        AND d.refobjid <> c.oid)
)
SELECT json_build_object(
  'server_major', current_setting('server_version_num')::int / 10000,
  'schemas', (SELECT coalesce(json_agg(json_build_object(
        'name', nspname,
        'comment', (SELECT dsc.description FROM pg_description dsc WHERE dsc.objoid = ns.oid AND dsc.classoid = 'pg_namespace'::regclass AND dsc.objsubid = 0))), '[]') FROM ns),
  'extensions', (SELECT coalesce(json_agg(json_build_object(
        'name', e.extname, 'schema', n.nspname)), '[]')
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
      WHERE e.extname <> 'plpgsql'),
  'types', (SELECT coalesce(json_agg(json_build_object(
        'schema', n.nspname, 'name', t.typname,
        'definition', CASE t.typtype
          WHEN 'e' THEN json_build_object('kind', 'enum', 'labels',
            (SELECT coalesce(json_agg(e.enumlabel ORDER BY e.enumsortorder), '[]')
             FROM pg_enum e WHERE e.enumtypid = t.oid))
          WHEN 'c' THEN json_build_object('kind', 'composite', 'attributes',
            (SELECT coalesce(json_agg(json_build_object(
                'name', a.attname,
                'type', format_type(a.atttypid, a.atttypmod),
                'collation', CASE WHEN a.attcollation <> at.typcollation
                                  THEN a.attcollation::regcollation::text END)
              ORDER BY a.attnum), '[]')
             FROM pg_attribute a JOIN pg_type at ON at.oid = a.atttypid
             WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped))
          WHEN 'd' THEN json_build_object('kind', 'domain',
            'base', format_type(t.typbasetype, t.typtypmod),
            'not_null', t.typnotnull,
            'default', t.typdefault,
            'collation', CASE WHEN t.typcollation <> bt.typcollation
                              THEN t.typcollation::regcollation::text END,
            'constraints', (SELECT coalesce(json_agg(json_build_object(
                'name', k.conname, 'definition', pg_get_constraintdef(k.oid))), '[]')
              FROM pg_constraint k WHERE k.contypid = t.oid AND k.contype = 'c'))
          WHEN 'r' THEN (SELECT json_build_object('kind', 'range',
            'subtype', format_type(r.rngsubtype, NULL),
            'collation', CASE WHEN r.rngcollation <> st.typcollation
                              THEN r.rngcollation::regcollation::text END,
            'subtype_diff', CASE WHEN r.rngsubdiff::oid <> 0 THEN r.rngsubdiff::text END,
            'canonical', CASE WHEN r.rngcanonical::oid <> 0 THEN r.rngcanonical::text END)
            FROM pg_range r JOIN pg_type st ON st.oid = r.rngsubtype
            WHERE r.rngtypid = t.oid)
        END,
        'comment', (SELECT dsc.description FROM pg_description dsc WHERE dsc.objoid = t.oid AND dsc.classoid = 'pg_type'::regclass AND dsc.objsubid = 0))), '[]')
      FROM pg_type t JOIN ns n ON n.oid = t.typnamespace
      LEFT JOIN pg_type bt ON bt.oid = t.typbasetype
      WHERE (t.typtype IN ('e', 'd', 'r')
             OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c'))
        AND NOT EXISTS (SELECT 1 FROM pg_depend d
                        WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid
                          AND d.deptype IN ('e', 'i'))),
  'functions', (SELECT coalesce(json_agg(json_build_object(
        'schema', n.nspname, 'name', p.proname,
        'arguments', pg_get_function_identity_arguments(p.oid),
        'kind', CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END,
        'definition', pg_get_functiondef(p.oid),
        'comment', (SELECT dsc.description FROM pg_description dsc WHERE dsc.objoid = p.oid AND dsc.classoid = 'pg_proc'::regclass AND dsc.objsubid = 0))), '[]')
      FROM pg_proc p JOIN ns n ON n.oid = p.pronamespace
      WHERE p.prokind IN ('f', 'p', 'w')
        AND NOT EXISTS (SELECT 1 FROM pg_depend d
                        WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                          AND d.deptype IN ('e', 'i'))),
  'sequences', (SELECT coalesce(json_agg(json_build_object(
        'schema', c.nspname, 'name', c.relname,
        'data_type', format_type(s.seqtypid, NULL),
        'start', s.seqstart, 'increment', s.seqincrement,
        'min', s.seqmin, 'max', s.seqmax, 'cache', s.seqcache, 'cycle', s.seqcycle,
        'owned_by', (SELECT json_build_object('table', oc.relname, 'column', a.attname)
            FROM pg_depend d
            JOIN pg_class oc ON oc.oid = d.refobjid
            JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
            WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
              AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a'
            LIMIT 1),
        'comment', (SELECT dsc.description FROM pg_description dsc WHERE dsc.objoid = c.oid AND dsc.classoid = 'pg_class'::regclass AND dsc.objsubid = 0))), '[]')
      FROM pg_sequence s JOIN rel c ON c.oid = s.seqrelid
      WHERE NOT EXISTS (SELECT 1 FROM pg_depend d
                        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                          AND d.refobjid IN (SELECT oid FROM hist))),
  'tables', (SELECT coalesce(json_agg(json_build_object(
        'schema', c.nspname, 'name', c.relname,
        'columns', (SELECT coalesce(json_agg(json_build_object(
              'name', a.attname,
              'type', format_type(a.atttypid, a.atttypmod),
              'not_null', a.attnotnull,
              'default', CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, ad.adrelid) END,
              'generated', CASE WHEN a.attgenerated <> '' THEN pg_get_expr(ad.adbin, ad.adrelid) END,
              'identity', CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END,
              -- The identity's sequence parameters that are not the
              -- defaults CREATE TABLE would give it (NULL when none).
              'identity_options', CASE WHEN a.attidentity <> '' THEN (
                  SELECT nullif(concat_ws(' ',
                      CASE WHEN q.seqstart <> CASE WHEN q.seqincrement > 0 THEN q.seqmin ELSE q.seqmax END
                           THEN 'START WITH ' || q.seqstart END,
                      CASE WHEN q.seqincrement <> 1 THEN 'INCREMENT BY ' || q.seqincrement END,
                      CASE WHEN q.seqmin <> CASE WHEN q.seqincrement > 0 THEN 1 ELSE lim.lo END
                           THEN 'MINVALUE ' || q.seqmin END,
                      CASE WHEN q.seqmax <> CASE WHEN q.seqincrement > 0 THEN lim.hi ELSE -1 END
                           THEN 'MAXVALUE ' || q.seqmax END,
                      CASE WHEN q.seqcache <> 1 THEN 'CACHE ' || q.seqcache END,
                      CASE WHEN q.seqcycle THEN 'CYCLE' END), '')
                  FROM pg_depend d
                  JOIN pg_sequence q ON q.seqrelid = d.objid
                  CROSS JOIN LATERAL (SELECT
                      CASE q.seqtypid WHEN 'int2'::regtype THEN -32768
                                      WHEN 'int4'::regtype THEN -2147483648
                                      ELSE -9223372036854775808 END AS lo,
                      CASE q.seqtypid WHEN 'int2'::regtype THEN 32767
                                      WHEN 'int4'::regtype THEN 2147483647
                                      ELSE 9223372036854775807 END AS hi) lim
                  WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
                    AND d.refobjid = a.attrelid AND d.refobjsubid = a.attnum AND d.deptype = 'i'
                  LIMIT 1) END,
              'collation', CASE WHEN a.attcollation <> ct.typcollation
                                THEN a.attcollation::regcollation::text END,
              'comment', (SELECT dsc.description FROM pg_description dsc
                         WHERE dsc.objoid = a.attrelid AND dsc.classoid = 'pg_class'::regclass
                           AND dsc.objsubid = a.attnum))
            ORDER BY a.attnum), '[]')
          FROM pg_attribute a
          JOIN pg_type ct ON ct.oid = a.atttypid
          LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
          WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
        'unlogged', c.relpersistence = 'u',
        'partition_key', CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
        'partition_of', CASE WHEN c.relispartition THEN (
            SELECT json_build_object('parent', i.inhparent::regclass::text,
                                     'bound', pg_get_expr(c.relpartbound, c.oid))
            FROM pg_inherits i WHERE i.inhrelid = c.oid LIMIT 1) END,
        'rls_enabled', c.relrowsecurity,
        'rls_forced', c.relforcerowsecurity,
        'comment', (SELECT dsc.description FROM pg_description dsc WHERE dsc.objoid = c.oid AND dsc.classoid = 'pg_class'::regclass AND dsc.objsubid = 0))), '[]')
      FROM rel c WHERE c.relkind IN ('r', 'p')),
  'constraints', (SELECT coalesce(json_agg(json_build_object(
        'schema', c.nspname, 'table', c.relname, 'name', k.conname,
        'kind', CASE k.contype WHEN 'p' THEN 'primary key' WHEN 'u' THEN 'unique'
                  WHEN 'f' THEN 'foreign key' WHEN 'c' THEN 'check' ELSE 'exclusion' END,
        'definition', pg_get_constraintdef(k.oid),
        'comment', (SELECT dsc.description FROM pg_description dsc WHERE dsc.objoid = k.oid AND dsc.classoid = 'pg_constraint'::regclass AND dsc.objsubid = 0))), '[]')
      FROM pg_constraint k JOIN rel c ON c.oid = k.conrelid
      WHERE k.contype IN ('p', 'u', 'f', 'c', 'x') AND c.relkind IN ('r', 'p')),
  'indexes', (SELECT coalesce(json_agg(json_build_object(
        'schema', ic.nspname, 'name', ic.relname, 'table', tc.relname,
        'definition', pg_get_indexdef(i.indexrelid),
        'valid', i.indisvalid,
        'comment', (SELECT dsc.description FROM pg_description dsc WHERE dsc.objoid = ic.oid AND dsc.classoid = 'pg_class'::regclass AND dsc.objsubid = 0))), '[]')
      FROM pg_index i
      JOIN rel ic ON ic.oid = i.indexrelid
      JOIN rel tc ON tc.oid = i.indrelid
      WHERE NOT EXISTS (SELECT 1 FROM pg_constraint k
                        WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid
                          AND k.contype IN ('p', 'u', 'x'))),
  'views', (SELECT coalesce(json_agg(json_build_object(
        'schema', c.nspname, 'name', c.relname,
        'materialized', c.relkind = 'm',
        'definition', pg_get_viewdef(c.oid, true),
        'comment', (SELECT dsc.description FROM pg_description dsc WHERE dsc.objoid = c.oid AND dsc.classoid = 'pg_class'::regclass AND dsc.objsubid = 0))), '[]')
      FROM rel c WHERE c.relkind IN ('v', 'm')),
  'triggers', (SELECT coalesce(json_agg(json_build_object(
        'schema', c.nspname, 'table', c.relname, 'name', t.tgname,
        'definition', pg_get_triggerdef(t.oid),
        'enabled', CASE t.tgenabled WHEN 'O' THEN 'origin' WHEN 'D' THEN 'disabled'
                     WHEN 'R' THEN 'replica' ELSE 'always' END,
        'comment', (SELECT dsc.description FROM pg_description dsc WHERE dsc.objoid = t.oid AND dsc.classoid = 'pg_trigger'::regclass AND dsc.objsubid = 0))), '[]')
      FROM pg_trigger t JOIN rel c ON c.oid = t.tgrelid
      WHERE NOT t.tgisinternal AND t.tgparentid = 0),
  'policies', (SELECT coalesce(json_agg(json_build_object(
        'schema', c.nspname, 'table', c.relname, 'name', p.polname,
        'command', CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT'
                     WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
        'permissive', p.polpermissive,
        'roles', (SELECT coalesce(json_agg(CASE WHEN r = 0 THEN 'public'
                                                ELSE pg_get_userbyid(r)::text END), '[]')
                  FROM unnest(p.polroles) AS r),
        'using', pg_get_expr(p.polqual, p.polrelid),
        'with_check', pg_get_expr(p.polwithcheck, p.polrelid),
        'comment', (SELECT dsc.description FROM pg_description dsc WHERE dsc.objoid = p.oid AND dsc.classoid = 'pg_policy'::regclass AND dsc.objsubid = 0))), '[]')
      FROM pg_policy p JOIN rel c ON c.oid = p.polrelid)
)::text
