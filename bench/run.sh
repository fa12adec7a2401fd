#!/usr/bin/env bash
# Province-scale benchmark: every figure beside a baseline measured in the same run.
#
#   bench/run.sh [SCALE]      SCALE in (0, 1], default 1 (Guangdong: 21 cities, ~120
#                             districts, ~1,600 towns, ~26,000 communities, ~9.4M rows)
#
# Installs what it lacks (Debian's sqlite3, taskwarrior, faketime, hyperfine), builds in
# release mode, generates the workspace once under target/bench/, and prints one line per
# figure.
set -euo pipefail
cd "$(dirname "$0")/.."

SCALE=${1:-1}
AS_OF=2024-12-31          # the month of the newest returns: this month's report
RUNS=${BENCH_RUNS:-5}

need=()
command -v sqlite3 >/dev/null || need+=(sqlite3)
command -v task >/dev/null || need+=(taskwarrior)
command -v faketime >/dev/null || need+=(faketime)
command -v hyperfine >/dev/null || need+=(hyperfine)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi

cargo build --release --quiet
cargo build --release --quiet --example generate
GT=$PWD/target/release/govtrack
WS=$PWD/target/bench/scale-$SCALE
DB=$WS/.govtrack/index.sqlite
if [ ! -f "$WS/govtrack.toml" ]; then
    echo "generating the workspace at scale $SCALE into $WS ..." >&2
    rm -rf "$WS"
    target/release/examples/generate --out "$WS" --scale "$SCALE" >&2
fi
OUT=$(mktemp -d)
# Step 3 appends to a progress file of the workspace: it is put back however the run ends.
changed_file=
finish() {
    if [ -n "$changed_file" ]; then cp "$OUT/one.csv" "$changed_file"; fi
    rm -rf "$OUT"
}
trap finish EXIT
trap 'exit 130' INT TERM

# Mean seconds of one hyperfine run: mean CMD [hyperfine options...]
mean() {
    local cmd=$1; shift
    hyperfine --style none --runs "$RUNS" --export-json "$OUT/h.json" "$@" "$cmd" >/dev/null 2>&1
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["mean"])' "$OUT/h.json"
}
ms() { python3 -c "print(f'{float(\"$1\")*1000:.1f} ms')"; }
ratio() { python3 -c "print(f'{float(\"$1\")/float(\"$2\"):.2f}x')"; }

ROWS=$(find "$WS/progress" -name '*.csv' -path '*obs*' -exec cat {} + | grep -vc '^metric,')
FILES=$(find "$WS/progress" -name '*.csv' | wc -l)
echo "workspace: scale $SCALE, $ROWS observation rows in $FILES progress files ($(du -sh "$WS" | cut -f1))"

# 1. Cold index against the sqlite3 shell's .import of the same observations.
cat "$WS"/progress/obs/*/*.csv | grep -v '^metric,' > "$OUT/all.csv"
cold=$(RUNS=3 mean "$GT --workspace $WS load" --prepare "rm -rf $WS/.govtrack")
import=$(RUNS=3 mean "sqlite3 $OUT/floor.db -cmd '.mode csv' '.import $OUT/all.csv observations'" \
    --prepare "rm -f $OUT/floor.db; sqlite3 $OUT/floor.db 'CREATE TABLE observations(metric TEXT, unit TEXT, date TEXT, value REAL, source TEXT)'")
python3 -c "r=$ROWS; a=$cold; b=$import; print(f'cold index: {a:.1f} s, {r/a:,.0f} rows/s; sqlite3 .import of the same rows: {b:.1f} s, {r/b:,.0f} rows/s; govtrack/.import = {a/b:.2f}x')"

# 2. A refresh when nothing changed, against the floor of opening the index and reading
#    its list of files.
noop=$(mean "$GT --workspace $WS load" --warmup 1)
floor=$(mean "sqlite3 $DB 'SELECT count(*) FROM files'" --warmup 1)
echo "no-op refresh: $(ms "$noop") (goal < 50 ms); sqlite3 open + read files: $(ms "$floor"); ratio $(ratio "$noop" "$floor")"

# 3. A refresh after one progress file changed, against the cold index scaled to that
#    file's share of the rows. Each run, the warm-up too, adds one more figure to the file
#    (a person adding a correction): the whole file is read and checked again, and one row
#    is new to the index.
one=$(find "$WS/progress/obs" -name '*.csv' | sort | awk 'NR == 1')
one_rows=$(($(wc -l < "$one") - 1))
one_key=$(sed -n 2p "$one" | cut -d, -f1,2)
cp "$one" "$OUT/one.csv"
changed_file=$one
# The two are a few milliseconds apart on a machine whose speed drifts: each is measured
# 20 times, one right after the other.
noop3=$(RUNS=20 mean "$GT --workspace $WS load" --warmup 1)
changed=$(RUNS=20 mean "$GT --workspace $WS load" --warmup 1 --prepare "echo $one_key,2022-01-31,1,correction >> $one")
cp "$OUT/one.csv" "$one"; changed_file=; "$GT" --workspace "$WS" load >/dev/null
python3 -c "c=$changed; n=$noop3; cold=$cold; share=$one_rows/$ROWS; print(f'one file changed ({$one_rows} rows, one added): {c*1000:.1f} ms; no-op {n*1000:.1f} ms; cold index x file share {cold*share*1000:.2f} ms; (changed - no-op)/(cold x share) = {(c-n)/(cold*share):.1f}')"

# 4. Reports against SQL run by the sqlite3 shell on the same index. `overdue` is asked
#    for the same rows and fields (bench/overdue.sql), and the rows are compared; the other
#    queries read what their report judges without judging it: a floor below the report's
#    own question.
DISTRICT=$(sqlite3 "$DB" "SELECT name FROM units WHERE level = 'district' ORDER BY ord LIMIT 1")
DISTRICT_ID=$(sqlite3 "$DB" "SELECT id FROM units WHERE level = 'district' ORDER BY ord LIMIT 1")
sed "s/:as_of/'$AS_OF'/g" bench/overdue.sql > "$OUT/overdue.sql"
OPEN="NOT EXISTS (SELECT 1 FROM events e WHERE e.instance = i.id AND e.status = 'done' AND e.date <= '$AS_OF')"
SQL_OVERDUE=".read $OUT/overdue.sql"
SQL_BARE="SELECT i.policy, i.task, i.unit, d.due FROM dues d JOIN instances i ON i.id = d.instance WHERE d.due < '$AS_OF' AND $OPEN ORDER BY d.due"
SQL_STATUS="SELECT i.unit, count(*), sum(d.due < '$AS_OF' AND $OPEN) FROM instances i LEFT JOIN dues d ON d.instance = i.id GROUP BY i.unit"
SQL_DISTRICT="WITH RECURSIVE sub(id) AS (SELECT '$DISTRICT_ID' UNION ALL SELECT u.id FROM units u JOIN sub ON u.parent = sub.id) SELECT i.policy, i.task, i.unit, d.due, $OPEN FROM instances i LEFT JOIN dues d ON d.instance = i.id WHERE i.unit IN sub"
SQL_GAPS=".read bench/target_units.sql"
# report NAME ARGS SQL WHAT-THE-SQL-IS GOAL: a report's JSON against the SQL; sets $a.
report() {
    local name=$1 args=$2 sql=$3 what=$4 goal=$5 b
    a=$(mean "$GT --workspace $WS $args --as-of $AS_OF --format json" --warmup 1 --output "$OUT/r.json" -i)
    b=$(mean "sqlite3 $DB \"$sql\"" --warmup 1 --output "$OUT/s.txt")
    echo "$name: $(ms "$a") (goal $goal); $what: $(ms "$b"); ratio $(ratio "$a" "$b") (goal <= 1.5x)"
}
"$GT" --workspace "$WS" overdue --as-of "$AS_OF" --format json > "$OUT/ours.json" || true
sqlite3 "$DB" "$SQL_OVERDUE" > "$OUT/theirs.json"
same=$(python3 -c '
import json, sys
ours = json.load(open(sys.argv[1]))
theirs = [json.loads(line) for line in open(sys.argv[2])]
key = lambda r: json.dumps(r, sort_keys=True, ensure_ascii=False)
same = sorted(map(key, ours)) == sorted(map(key, theirs))
print(f"the same {len(ours):,} rows" if same else f"NOT the same rows: {len(ours):,} and {len(theirs):,}")
' "$OUT/ours.json" "$OUT/theirs.json")
report "overdue" "overdue" "$SQL_OVERDUE" "the same rows and fields in SQL ($same)" "< 200 ms"
overdue=$a
bare=$(mean "sqlite3 $DB \"$SQL_BARE\"" --warmup 1 --output "$OUT/s.txt")
echo "overdue against a bare SQL lookup ($(sqlite3 "$DB" "$SQL_BARE" | wc -l) rows of four columns, any done event settling an instance): $(ms "$bare"); ratio $(ratio "$overdue" "$bare")"
report "status" "status" "$SQL_STATUS" "SQL counting each unit's tasks, no targets" "< 200 ms"
report "status --district $DISTRICT" "status --district $DISTRICT_ID" "$SQL_DISTRICT" "SQL listing the district's task instances, no targets" "< 200 ms"
report "gaps (full roll-up)" "gaps" "$SQL_GAPS" "SQL finding each target's units from its rule and joining them to their latest figure, no roll-up (bench/target_units.sql)" "< 1 s"

# The same reports as tables, the default for people, against their JSON.
for args in overdue status gaps; do
    t=$(mean "$GT --workspace $WS $args --as-of $AS_OF" --warmup 1 --output "$OUT/r.txt" -i)
    j=$(mean "$GT --workspace $WS $args --as-of $AS_OF --format json" --warmup 1 --output "$OUT/r.json" -i)
    echo "$args as a table: $(ms "$t"); as JSON: $(ms "$j"); ratio $(ratio "$t" "$j")"
done

# 5. overdue against Taskwarrior 2.6 on the same task instances.
TW=$WS/bench/taskwarrior
if [ ! -f "$TW/data/pending.data" ]; then
    mkdir -p "$TW/data"
    printf 'data.location=%s\nconfirmation=off\nverbose=nothing\ngc=off\n' "$TW/data" > "$TW/taskrc"
    echo "importing $(wc -l < "$WS/bench/tasks.json") task instances into Taskwarrior (once) ..." >&2
    TASKRC=$TW/taskrc task import "$WS/bench/tasks.json" >/dev/null 2>&1
fi
# Taskwarrior has no as-of date: its clock is stopped at the start of the as-of day, when a
# task due that day is not yet late (due < now), as in govtrack.
TASK="env TZ=UTC TASKRC=$TW/taskrc faketime -f '$AS_OF 00:00:00' task overdue"
tw=$(RUNS=3 mean "$TASK" --warmup 1 -i)
ov=$(mean "$GT --workspace $WS overdue --as-of $AS_OF --format json" --warmup 1 -i)
# Taskwarrior prints a table for people, as govtrack does by default: that pair as well.
ovt=$(mean "$GT --workspace $WS overdue --as-of $AS_OF" --warmup 1 --output "$OUT/r.txt" -i)
tw_rows=$(sh -c "$TASK" 2>/dev/null | grep -cE '^ *[0-9]+ ' || true)
gt_rows=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(f'{len(r)} rows of {len({(x[\"policy\"], x[\"task\"], x[\"unit_id\"]) for x in r})} instances')" "$OUT/ours.json")
echo "overdue vs Taskwarrior 'task overdue' on $(wc -l < "$WS/bench/tasks.json") instances, both as of $AS_OF (Taskwarrior lists $tw_rows tasks, govtrack $gt_rows): govtrack $(ms "$ov"), Taskwarrior $(ms "$tw"); Taskwarrior/govtrack = $(ratio "$tw" "$ov") (goal >= 50x); govtrack as a table $(ms "$ovt"), Taskwarrior/govtrack = $(ratio "$tw" "$ovt")"

# 6. Peak resident memory of the cold index.
rm -rf "$WS/.govtrack"
/usr/bin/time -v "$GT" --workspace "$WS" load 2> "$OUT/time.txt" >/dev/null
kb=$(grep 'Maximum resident set size' "$OUT/time.txt" | awk '{print $NF}')
python3 -c "print(f'peak memory of the cold index: {$kb/1024:.0f} MB (goal < 200 MB)')"
