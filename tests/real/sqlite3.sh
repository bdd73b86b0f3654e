# real-packages: sqlite3 gawk
# real-timeout: 300
# sqlite3, the command-line shell: a transaction of 10,000 INSERT statements into a file
# database, then queries (count, aggregates with GROUP BY and HAVING, an index, a join, a
# window function, a subquery), output modes (csv, json, line, column), .dump, .schema,
# .import, a rollback, WAL journal mode (shared file mappings of the -shm file), a second
# process finding the database locked, and integrity checks.
# Normalised: nothing (no pids or times are printed).
gawk 'BEGIN {
	print "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL, grp INTEGER, val REAL);"
	print "BEGIN;"
	for (i = 1; i <= 10000; i++)
		printf "INSERT INTO t VALUES(%d, '\''name%05d'\'', %d, %d.5);\n", i, i, (i * 7919) % 13, (i * 31) % 1000
	print "COMMIT;"
}' > inserts.sql
echo "== a transaction of 10,000 inserts"
sqlite3 test.db < inserts.sql; echo "status $?"
sqlite3 test.db 'SELECT count(*), min(id), max(id), sum(id) FROM t;'
echo "== queries"
sqlite3 test.db <<'EOF'
SELECT grp, count(*), round(avg(val), 3), min(name), max(val) FROM t GROUP BY grp ORDER BY grp;
SELECT grp, sum(val) AS s FROM t GROUP BY grp HAVING s > 385000 ORDER BY s DESC;
SELECT name FROM t WHERE val BETWEEN 100 AND 101 ORDER BY id LIMIT 5;
CREATE INDEX t_grp ON t(grp, val);
EXPLAIN QUERY PLAN SELECT * FROM t WHERE grp = 3 AND val > 990;
SELECT count(*) FROM t WHERE grp = 3 AND val > 990;
CREATE TABLE g(grp INTEGER PRIMARY KEY, label TEXT);
INSERT INTO g SELECT DISTINCT grp, 'group ' || grp FROM t;
SELECT g.label, count(t.id) FROM g JOIN t USING (grp) WHERE t.id % 1000 = 0 GROUP BY g.label ORDER BY g.label;
SELECT id, val, rank() OVER (ORDER BY val DESC, id) FROM t WHERE id <= 20 ORDER BY 3 LIMIT 4;
SELECT name FROM t WHERE val = (SELECT max(val) FROM t) ORDER BY id LIMIT 3;
SELECT total(val), group_concat(id, '+') FROM (SELECT * FROM t ORDER BY id LIMIT 5);
SELECT typeof(1), typeof(1.5), typeof('x'), typeof(NULL), typeof(x'00'), length(hex(randomblob(8)));
SELECT printf('%08.3f|%-6s|%x', 3.14159, 'ab', 255), upper('abc'), substr('sqlite', 2, 3), replace('a-b-c', '-', '+');
SELECT date('2026-12-05', '+1 month'), strftime('%j', '2026-12-05'), julianday('2000-01-01');
PRAGMA integrity_check;
EOF
echo "== output modes"
sqlite3 -csv -header test.db 'SELECT id, name, val FROM t WHERE id IN (1, 2, 3);'
sqlite3 -json test.db 'SELECT id, name FROM t WHERE id < 3;'
sqlite3 -line test.db 'SELECT id, name FROM t WHERE id = 42;'
sqlite3 -column -header test.db 'SELECT id, name, grp FROM t WHERE id < 4;'
sqlite3 test.db '.schema'
echo "== dump, import, rollback"
sqlite3 test.db 'CREATE TABLE small(a, b); INSERT INTO small VALUES(1, '"'"'one'"'"'), (2, NULL);' '.dump small'
printf 'x,y\n1,first\n2,"second, quoted"\n' > data.csv
sqlite3 test.db '.import --csv data.csv imported' 'SELECT * FROM imported;'
sqlite3 test.db 'BEGIN; DELETE FROM t; SELECT count(*) FROM t; ROLLBACK; SELECT count(*) FROM t;'
sqlite3 test.db 'INSERT INTO t VALUES(1, "dup", 0, 0);' 2>&1; echo "status $?"
sqlite3 test.db 'SELECT nothing FROM nowhere;' 2>&1; echo "status $?"
echo "== WAL and locks"
sqlite3 test.db 'PRAGMA journal_mode=WAL;'
sqlite3 test.db 'INSERT INTO t VALUES(10001, '"'"'wal'"'"', 0, 1.5); SELECT count(*) FROM t;'
ls test.db*
# One shell holds the database exclusively while another tries to write (timeout 0: at once).
mkfifo hold done
sqlite3 test.db 'BEGIN EXCLUSIVE; INSERT INTO t VALUES(10002, '"'"'held'"'"', 0, 0);' '.shell echo locked > hold' '.shell cat done' 'COMMIT;' > holder.out &
read line < hold
sqlite3 -cmd '.timeout 0' test.db 'INSERT INTO t VALUES(10003, '"'"'blocked'"'"', 0, 0);' 2>&1; echo "status $?"
echo go > done
wait $!; echo "holder status $?"
sqlite3 test.db 'SELECT id, name FROM t WHERE id > 10000 ORDER BY id;' 'PRAGMA wal_checkpoint(TRUNCATE);' 'PRAGMA journal_mode=DELETE;'
ls test.db*
echo "== a fresh in-memory aggregate"
seq 1 1000 | sqlite3 -cmd 'CREATE TABLE n(v INTEGER);' -cmd '.import /dev/stdin n' :memory: 'SELECT count(*), sum(v), avg(v), sum(v * v) FROM n WHERE v % 3 = 0;'
sqlite3 test.db 'VACUUM; PRAGMA integrity_check; PRAGMA page_size;'
