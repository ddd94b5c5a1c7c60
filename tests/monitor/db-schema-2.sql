-- A database as pvh-monitor left it at schema version 2, with a domain, two
-- requests and a finished migration: tests/monitor-db.sh upgrades it.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE domains (  domid INTEGER PRIMARY KEY,  name TEXT, agent TEXT NOT NULL, guest_type TEXT, verdict TEXT NOT NULL,  kernel TEXT, os TEXT, agent_version TEXT, failing TEXT,  present INTEGER NOT NULL, updated INTEGER NOT NULL);
INSERT INTO domains VALUES(1,'web1','running','pv','ready','6.1.0-13-amd64','Debian GNU/Linux 12 (bookworm)','1.0','',1,1764000000);
CREATE TABLE verdict_history (  seq INTEGER PRIMARY KEY AUTOINCREMENT,  domid INTEGER NOT NULL, name TEXT, at INTEGER NOT NULL,  old_verdict TEXT, new_verdict TEXT NOT NULL);
INSERT INTO verdict_history VALUES(1,1,'web1',1764000000,NULL,'ready');
CREATE TABLE requests (  id TEXT PRIMARY KEY,  domid INTEGER NOT NULL, name TEXT, action TEXT, state TEXT NOT NULL,  reason TEXT, message TEXT, seen INTEGER NOT NULL);
INSERT INTO requests VALUES('r-1',1,'web1','ping','done',NULL,'pong',1764000001);
INSERT INTO requests VALUES('r-2',1,'web1','probe','done',NULL,'verdict ready',1764000002);
CREATE TABLE migrations (  id INTEGER PRIMARY KEY AUTOINCREMENT,  created INTEGER NOT NULL, updated INTEGER NOT NULL,  state TEXT NOT NULL, reason TEXT, abort_requested INTEGER NOT NULL DEFAULT 0,  canary INTEGER NOT NULL, growth INTEGER NOT NULL, max_wave INTEGER NOT NULL,  max_failures INTEGER NOT NULL,  xl TEXT NOT NULL, config TEXT NOT NULL, pvgrub TEXT NOT NULL, pvhgrub TEXT NOT NULL,  hook TEXT, toolstack_timeout INTEGER NOT NULL, boot_timeout INTEGER NOT NULL,  request_timeout INTEGER NOT NULL);
INSERT INTO migrations VALUES(1,1764000010,1764000020,'done',NULL,0,1,2,0,1,'/usr/sbin/xl','/etc/xen','/usr/lib/grub-xen/grub-x86_64-xen.bin','/usr/lib/grub-xen/grub-i386-xen_pvh.bin',NULL,300,300,600);
CREATE TABLE migration_guests (  migration INTEGER NOT NULL REFERENCES migrations(id),  pos INTEGER NOT NULL, wave INTEGER NOT NULL, name TEXT NOT NULL, config TEXT,  verdict TEXT, state TEXT NOT NULL, step TEXT NOT NULL, step_done INTEGER NOT NULL,  prepared INTEGER NOT NULL, switched INTEGER NOT NULL, restarted INTEGER NOT NULL,  old_domid INTEGER NOT NULL, domid INTEGER NOT NULL, boot_id TEXT, addrs TEXT,  request_id TEXT, reason TEXT, updated INTEGER NOT NULL,  PRIMARY KEY (migration, name));
INSERT INTO migration_guests VALUES(1,0,0,'web1','/etc/xen/web1.cfg','ready','done','verify',1,1,1,1,1,2,NULL,NULL,'r-3',NULL,1764000020);
CREATE TABLE migration_events (  seq INTEGER PRIMARY KEY AUTOINCREMENT,  migration INTEGER NOT NULL, name TEXT, at INTEGER NOT NULL,  event TEXT NOT NULL, detail TEXT);
INSERT INTO migration_events VALUES(1,1,'web1',1764000020,'done','verified');
DELETE FROM sqlite_sequence;
INSERT INTO sqlite_sequence VALUES('verdict_history',1);
INSERT INTO sqlite_sequence VALUES('migrations',1);
INSERT INTO sqlite_sequence VALUES('migration_events',1);
CREATE INDEX verdict_history_domid ON verdict_history(domid, seq);
CREATE INDEX requests_domid ON requests(domid);
CREATE INDEX migration_events_migration ON migration_events(migration, seq);
COMMIT;
PRAGMA user_version = 2;
