-- Whether the database the shadow server's URL names (the local cluster's
-- `postgres`) holds nothing a copy of `template0` would not: no object
-- made after `initdb` (OIDs from 16384 on) in any per-database catalog,
-- no `ALTER DATABASE … SET`, the same encoding and locale as `template0`,
-- the `public` schema and PL/pgSQL as `initdb` made them; and the role
-- is a superuser or a member of the database's owner, as it owns the
-- scratch database it would make. Then migrations replayed there in a
-- transaction give what they give in a new database.
-- With the lock of the key in $1 (IN_PLACE_LOCK) tried in the same statement.
SELECT pg_catalog.pg_try_advisory_xact_lock($1) AS locked, pg_catalog.current_database()::text,
NOT EXISTS (
  SELECT FROM pg_catalog.pg_namespace WHERE oid >= 16384
  UNION ALL SELECT FROM pg_catalog.pg_class WHERE oid >= 16384
  UNION ALL SELECT FROM pg_catalog.pg_type WHERE oid >= 16384
  UNION ALL SELECT FROM pg_catalog.pg_proc WHERE oid >= 16384
  UNION ALL SELECT FROM pg_catalog.pg_extension WHERE oid >= 16384
  UNION ALL SELECT FROM pg_catalog.pg_constraint WHERE oid >= 16384
  UNION ALL SELECT FROM pg_catalog.pg_trigger WHERE oid >= 16384
  UNION ALL SELECT FROM pg_catalog.pg_rewrite WHERE oid >= 16384
  UNION ALL SELECT FROM pg_catalog.pg_policy WHERE oid >= 16384
  UNION ALL SELECT FROM pg_catalog.pg_collation WHERE oid >= 16384
  UNION ALL SELECT FROM pg_catalog.pg_conversion WHERE oid >= 16384
  UNION ALL SELECT FROM pg_catalog.pg_operator WHERE oid >= 16384
  UNION ALL SELECT FROM pg_catalog.pg_opfamily WHERE oid >= 16384
  UNION ALL SELECT FROM pg_catalog.pg_opclass WHERE oid >= 16384
  UNION ALL SELECT FROM pg_catalog.pg_am WHERE oid >= 16384
  UNION ALL SELECT FROM pg_catalog.pg_cast WHERE oid >= 16384
  UNION ALL SELECT FROM pg_catalog.pg_language WHERE oid >= 16384
  UNION ALL SELECT FROM pg_catalog.pg_transform WHERE oid >= 16384
  UNION ALL SELECT FROM pg_catalog.pg_ts_config WHERE oid >= 16384
  UNION ALL SELECT FROM pg_catalog.pg_ts_dict WHERE oid >= 16384
  UNION ALL SELECT FROM pg_catalog.pg_ts_parser WHERE oid >= 16384
  UNION ALL SELECT FROM pg_catalog.pg_ts_template WHERE oid >= 16384
  UNION ALL SELECT FROM pg_catalog.pg_foreign_data_wrapper WHERE oid >= 16384
  UNION ALL SELECT FROM pg_catalog.pg_foreign_server WHERE oid >= 16384
  UNION ALL SELECT FROM pg_catalog.pg_user_mappings WHERE umid >= 16384
  UNION ALL SELECT FROM pg_catalog.pg_event_trigger WHERE oid >= 16384
  UNION ALL SELECT FROM pg_catalog.pg_publication WHERE oid >= 16384
  UNION ALL SELECT FROM pg_catalog.pg_statistic_ext WHERE oid >= 16384
  UNION ALL SELECT FROM pg_catalog.pg_default_acl WHERE oid >= 16384
  UNION ALL SELECT FROM pg_catalog.pg_largeobject_metadata WHERE oid >= 16384
  UNION ALL SELECT FROM pg_catalog.pg_db_role_setting s JOIN pg_catalog.pg_database d
    ON d.oid = s.setdatabase WHERE d.datname = pg_catalog.current_database()
)
AND EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE oid = 2200 AND nspname = 'public')
AND pg_catalog.obj_description(2200, 'pg_namespace') IS NOT DISTINCT FROM 'standard public schema'
AND EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'plpgsql')
AND (SELECT r.rolsuper OR pg_catalog.pg_has_role(d.datdba, 'USAGE')
     FROM pg_catalog.pg_roles r, pg_catalog.pg_database d
     WHERE r.rolname = current_user AND d.datname = pg_catalog.current_database())
AND (SELECT (pg_catalog.to_jsonb(d) - k.other) = (pg_catalog.to_jsonb(t) - k.other)
     FROM pg_catalog.pg_database d, pg_catalog.pg_database t,
     (SELECT ARRAY['oid', 'datname', 'datdba', 'datistemplate', 'datallowconn', 'datconnlimit',
       'datlastsysoid', 'datfrozenxid', 'datminmxid', 'dattablespace', 'datacl',
       'dathasloginevt', 'datcollversion'] AS other) k
     WHERE d.datname = pg_catalog.current_database() AND t.datname = 'template0')
  IS TRUE AS pristine;
