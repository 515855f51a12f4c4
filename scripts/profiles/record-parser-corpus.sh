#!/usr/bin/env bash
# Records the strace parser corpus (test/profiles/testdata/strace/) with this machine's strace:
# one trace per output form, and expected.json with each trace's syscall set.
#
# The expected sets do not come from our parser: where strace allows it (-C), the same run
# ends with strace's own count table, which this script moves to <trace>.summary and reads with
# awk. -ff cannot be combined with -C, so its set comes from a -f -C run of the same
# deterministic program (retried until both runs made the same calls). exit and exit_group never
# return, so strace leaves them out of its table; they are added when the trace shows them.
#
# Needs strace, busybox (static), Debian's python3, gcc (for corpus/modes.c, the i386, x32 and
# unknown-number calls) and the repository's dependencies (prettier).
# Usage: scripts/profiles/record-parser-corpus.sh [OUT_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-${here}/../../test/profiles/testdata/strace}"
mkdir -p "${out}"
out="$(cd "${out}" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT

busybox=/bin/busybox
python=/usr/bin/python3
gcc -O1 -o "${work}/modes" "${here}/corpus/modes.c"

# A shell that ignores and receives a signal, waits for a child (wait4 left unfinished while
# the child runs) and runs a pipeline.
shell=("${busybox}" sh -c 'trap "" USR1; kill -USR1 $$; (sleep 0.05) & wait; echo x | cat >/dev/null')
# Threads (clone3, futex left unfinished), a file, a socket pair and a TCP connection to
# ourselves, for -y / -yy decorations.
python_program='
import socket, threading
def work():
    with open("/etc/hostname", "rb") as f: f.read()
t = threading.Thread(target=work); t.start(); t.join()
a, b = socket.socketpair(); a.send(b"x"); b.recv(1)
server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen()
client = socket.create_connection(server.getsockname()); conn, _ = server.accept()
client.send(b"y"); conn.recv(1)
'
python=("${python}" -I -S -c "${python_program}")
modes=(./modes)
# Stopped and continued in a sleep: "--- stopped by SIGSTOP ---", then restart_syscall.
stop_continue=("${busybox}" sh -c 'sleep 0.3 & p=$!; sleep 0.05; kill -STOP $p; sleep 0.05; kill -CONT $p; wait')
# Writes to its stderr, which is strace's: the text lands inside the write line, and the
# line's end, ") = 25", is a line strace did not start (an unreadable line).
noisy=("${busybox}" sh -c 'echo "program output on stderr" >&2')
# No path of the recording machine in the traces: programs run in $cwd, / (the modes program in
# its temporary directory, as ./modes), with their own input and output on /dev/null.
cwd=/

# Splits strace's -C table off the end of a trace into <trace>.summary.
split_summary() {
  local trace="$1"
  awk -v summary="${trace}.summary" -v trace="${trace}.tmp" '
    /^% time +seconds/ || /^System call usage summary for/ || /^syscall +calls/ { table = 1 }
    { print > (table ? summary : trace) }
  ' "${trace}"
  mv "${trace}.tmp" "${trace}"
}

# The syscall sets of strace's count tables, by mode, as a JSON object.
summary_sets() {
  awk '
    /^System call usage summary for 32 bit mode:/ { mode = "32 bit"; next }
    /^System call usage summary for x32 mode:/ { mode = "x32"; next }
    /^System call usage summary for 64 bit mode:/ { mode = "64 bit"; next }
    /^(% time|syscall) / { if (mode == "") mode = "64 bit"; next }
    /^-+ / { next }
    NF > 0 && $NF != "total" {
      name = $NF
      if (!((mode, name) in seen)) { seen[mode, name] = 1; names[mode] = names[mode] " " name }
    }
    END {
      printf "{"
      n = 0
      for (m in names) {
        split(substr(names[m], 2), list, " ")
        count = 0; for (i in list) count++
        # sort (awk has no portable sort): insertion sort on the small list
        for (i = 2; i <= count; i++) { v = list[i]; j = i - 1; while (j > 0 && list[j] > v) { list[j + 1] = list[j]; j-- } list[j + 1] = v }
        printf "%s\"%s\": [", (n++ ? ", " : ""), m
        for (i = 1; i <= count; i++) printf "%s\"%s\"", (i > 1 ? ", " : ""), list[i]
        printf "]"
      }
      printf "}"
    }
  ' "$@"
}

# exit/exit_group lines of a trace (they return nothing, so strace does not count them).
never_returning() {
  grep -ohE '(^|[] ])(exit|exit_group)\(' "$@" | grep -oE '(exit|exit_group)' | sort -u | tr '\n' ' '
}

entries=()
extra_fields=""
# expect NAME SOURCE SUMMARY_FILE... : adds NAME's expected set from summary files.
expect() {
  local name="$1" source="$2"
  shift 2
  local sets extra
  sets="$(summary_sets "$@")"
  extra="$(never_returning "${out}/${name}" 2>/dev/null || true)"
  if [[ -d "${out}/${name}" ]]; then extra="$(never_returning "${out}/${name}"/* || true)"; fi
  entries+=("\"${name}\": {\"source\": \"${source}\", \"summary\": ${sets}, \"neverReturning\": \"${extra% }\"${extra_fields}}")
  extra_fields=""
}

# record NAME STRACE_OPTIONS... -- COMMAND...: -o form with -C, summary split off.
record_o() {
  local name="$1"
  shift
  local options=()
  while [[ "$1" != "--" ]]; do options+=("$1"); shift; done
  shift
  (cd "${cwd}" && strace "${options[@]}" -C -o "${out}/${name}" -- "$@" </dev/null >/dev/null 2>/dev/null)
  split_summary "${out}/${name}"
  expect "${name}" "strace -C table of the same run" "${out}/${name}.summary"
}

# record_stderr NAME STRACE_OPTIONS... -- COMMAND...: the trace on strace's stderr, with -C.
record_stderr() {
  local name="$1"
  shift
  local options=()
  while [[ "$1" != "--" ]]; do options+=("$1"); shift; done
  shift
  (cd "${cwd}" && strace "${options[@]}" -C -- "$@" </dev/null >/dev/null 2>"${out}/${name}")
  split_summary "${out}/${name}"
  expect "${name}" "strace -C table of the same run" "${out}/${name}.summary"
}

record_stderr plain.txt -- "${shell[@]}"
record_stderr follow-stderr.txt -f -- "${shell[@]}"
record_o follow-o.txt -f -- "${shell[@]}"
record_stderr timestamps-t.txt -f -t -- "${shell[@]}"
record_o timestamps-tt.txt -f -tt -- "${shell[@]}"
record_o timestamps-ttt.txt -ttt -- "${shell[@]}"
record_o relative-r-durations-T.txt -f -r -T -- "${shell[@]}"
record_o durations-T.txt -f -T -- "${python[@]}"
record_o decode-fds-y.txt -f -y -- "${python[@]}"
record_o decode-fds-yy.txt -f -yy -tt -T -- "${python[@]}"
record_o decorations-all.txt -f -tt -T -i -n -Y -yy -- "${shell[@]}"
record_o stop-continue.txt -f -- "${stop_continue[@]}"
# The program's own output on the lines: counted by hand as the lines that start with ") = ".
(cd / && strace -C -- "${noisy[@]}" </dev/null >/dev/null 2>"${work}/noisy") || true
extra_fields=", \"unreadable\": $(grep -c '^) = ' "${work}/noisy")"
mv "${work}/noisy" "${out}/program-stderr-mixed.txt"
split_summary "${out}/program-stderr-mixed.txt"
expect program-stderr-mixed.txt "strace -C table of the same run" "${out}/program-stderr-mixed.txt.summary"

cwd="${work}"
record_stderr modes-stderr.txt -f -- "${modes[@]}"
record_o modes-numbers-n.txt -f -n -- "${modes[@]}"
cwd=/

# -C kept whole: trace lines, then the table.
(cd / && strace -f -C -o "${out}/summary-C.txt" -- "${shell[@]}" </dev/null >/dev/null 2>&1)
cp "${out}/summary-C.txt" "${work}/C.summary"
split_summary "${work}/C.summary"
expect summary-C.txt "strace -C table of the same run (kept in the file)" "${work}/C.summary.summary"

# -c: only the tables (one per mode).
(cd "${work}" && strace -f -c -o "${out}/summary-c.txt" -- "${modes[@]}" >/dev/null)
expect summary-c.txt "the table itself" "${out}/summary-c.txt"

# -ff -o: one file per process; the set from a -f -C run of the same program.
for attempt in 1 2 3 4 5; do
  rm -rf "${out}/follow-forks-ff" && mkdir -p "${out}/follow-forks-ff"
  (cd / && strace -ff -o "${out}/follow-forks-ff/trace" -- "${shell[@]}" </dev/null >/dev/null 2>&1)
  (cd / && strace -f -C -o "${work}/companion" -- "${shell[@]}" </dev/null >/dev/null 2>&1)
  split_summary "${work}/companion"
  ff_names="$(cat "${out}/follow-forks-ff"/* | grep -oE '^(<\.\.\. )?[a-z0-9_]+' | sed 's/^<\.\.\. //' | sort -u | tr '\n' ' ')"
  companion_names="$(grep -oE '^[0-9]+ +(<\.\.\. )?[a-z0-9_]+' "${work}/companion" | sed -E 's/^[0-9]+ +(<\.\.\. )?//' | sort -u | tr '\n' ' ')"
  if [[ "${ff_names}" == "${companion_names}" ]]; then break; fi
  echo "record-parser-corpus: -ff run and its companion differ (attempt ${attempt}), again" >&2
  [[ ${attempt} -lt 5 ]] || { echo "record-parser-corpus: giving up" >&2; exit 1; }
done
expect follow-forks-ff "strace -C table of a -f run of the same program" "${work}/companion.summary"

# Hand-made (strace prints a cut line only when it is killed while writing one): the first 20
# lines of follow-o.txt with the last one cut inside its arguments. Its set is the names that
# start those lines (grep); the cut call still counts, and is reported as truncated.
head -n 20 "${out}/follow-o.txt" | awk 'NR < 20 { print; next } { printf "%s", substr($0, 1, index($0, "(") + 4) }' >"${out}/truncated-last-line.txt"
truncated_names="$(grep -oE '^[0-9]+ +[a-z0-9_]+\(' "${out}/truncated-last-line.txt" | sed -E 's/^[0-9]+ +//; s/\($//' | sort -u | awk '{ printf "%s\"%s\"", (NR > 1 ? ", " : ""), $0 }')"
entries+=("\"truncated-last-line.txt\": {\"source\": \"hand-made: follow-o.txt cut after 20 lines; names by grep\", \"summary\": {\"64 bit\": [${truncated_names}]}, \"neverReturning\": \"\", \"truncated\": 1}")

{
  printf '{\n  "strace": "%s",\n' "$(strace -V | head -1)"
  printf '  "traces": {\n'
  for i in "${!entries[@]}"; do
    printf '    %s%s\n' "${entries[$i]}" "$([[ $i -lt $((${#entries[@]} - 1)) ]] && echo ,)"
  done
  printf '  }\n}\n'
} >"${work}/expected.json"
# In the layout of the repository's formatter.
"${here}/../../node_modules/.bin/prettier" --stdin-filepath expected.json <"${work}/expected.json" >"${out}/expected.json"
echo "record-parser-corpus: wrote ${#entries[@]} traces to ${out}" >&2
