#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn a test guest's logs into one line per suite and pass/fail counts.

usage: guest-report.py RESULTS_LOG CONSOLE_LOG QEMU_STATUS [--counts-file FILE]

RESULTS_LOG is what the guest's /init wrote to the second serial port (sections between
@@GUNYAH-BEGIN kind name@@ and @@GUNYAH-END ...@@ markers); CONSOLE_LOG is the kernel console.
Every KUnit case and TAP test counts once; every sanitizer report in the console, a guest that
did not finish, and an error marker count as failures. Exit status: 0 when nothing failed.
"""
import re
import sys

RESULT = re.compile(r'^(\s*)(not ok|ok)\s+(\d+)\s*(?:-\s*)?(.*)$')
LIBTEST = re.compile(r'^test (\S+) \.\.\. (ok|FAILED|ignored)')
SKIP = re.compile(r'#\s*SKIP', re.IGNORECASE)

# Kernel reports that fail the run whatever the tests said.
REPORTS = [
    (re.compile(r'BUG: KASAN'), 'KASAN'),
    (re.compile(r'BUG: KFENCE'), 'KFENCE'),
    (re.compile(r'UBSAN:'), 'UBSAN'),
    (re.compile(r'kmemleak: \d+ new suspected memory leaks'), 'kmemleak'),
    (re.compile(r'WARNING: (possible|inconsistent|suspicious|bad unlock|held lock)'), 'lockdep'),
    (re.compile(r'DEBUG_LOCKS_WARN_ON'), 'lockdep'),
    (re.compile(r'BUG: (sleeping function|scheduling while atomic|spinlock|workqueue leaked)'),
     'atomic-sleep'),
    (re.compile(r'------------\[ cut here \]------------'), 'WARN/BUG'),
    (re.compile(r'WARNING: CPU: \d+ PID: \d+'), 'WARN'),
    (re.compile(r'kernel BUG at'), 'BUG'),
    (re.compile(r'BUG: (unable to handle|kernel NULL|soft lockup)'), 'BUG'),
    (re.compile(r'Oops'), 'Oops'),
    (re.compile(r'general protection fault'), 'GPF'),
    (re.compile(r'Kernel panic'), 'panic'),
    (re.compile(r'INFO: task .* blocked for more than'), 'hung task'),
    (re.compile(r'rcu: INFO: .* detected stalls'), 'RCU stall'),
    (re.compile(r'ODEBUG:'), 'debugobjects'),
    (re.compile(r'list_(add|del) corruption'), 'list corruption'),
]


def sections(lines):
    """Yield (kind, name, end_marker, body_lines) for each marked section."""
    cur = None
    for line in lines:
        m = re.match(r'^@@GUNYAH-BEGIN (\S+) (\S+)@@', line)
        if m:
            cur = (m.group(1), m.group(2), [])
            continue
        m = re.match(r'^@@GUNYAH-END (\S+) (\S+)(.*)@@', line)
        if m and cur:
            yield cur[0], cur[1], m.group(3).strip(), cur[2]
            cur = None
            continue
        if cur:
            cur[2].append(line)
    if cur:
        yield cur[0], cur[1], 'unterminated', cur[2]


def count_results(body, kind='tap'):
    """Count the results one level below the document's top: KUnit cases or TAP tests."""
    results = []
    if kind == 'rust':
        for line in body:
            m = LIBTEST.match(line)
            if m:
                desc = m.group(1) + (' # SKIP' if m.group(2) == 'ignored' else '')
                results.append((0, m.group(2) != 'FAILED', str(len(results) + 1), desc))
        return results, []
    for line in body:
        m = RESULT.match(line)
        if m:
            results.append((len(m.group(1).expandtabs()), m.group(2) == 'ok', m.group(3), m.group(4)))
    if not results:
        return [], []
    levels = sorted({r[0] for r in results})
    # A KUnit debugfs document ends with the suite's own result at the outermost level;
    # its cases sit one level in. A TAP program has its tests at the outermost level.
    outer = [r for r in results if r[0] == levels[0]]
    level = levels[1] if len(levels) > 1 and len(outer) == 1 else levels[0]
    cases = [r for r in results if r[0] == level]
    return cases, outer


def main():
    args = sys.argv[1:]
    counts_file = None
    if '--counts-file' in args:
        i = args.index('--counts-file')
        counts_file = args[i + 1]
        del args[i:i + 2]
    results_log, console_log, qemu_status = args
    with open(results_log, errors='replace') as f:
        res = [l.rstrip('\r\n') for l in f]
    with open(console_log, errors='replace') as f:
        con = [l.rstrip('\r\n') for l in f]

    passed = failed = skipped = 0
    for kind, name, end, body in sections(res):
        if kind == 'kmemleak':
            leaks = [l for l in body if l.startswith('unreferenced object')]
            if leaks:
                failed += 1
                print(f'FAIL kmemleak: {len(leaks)} leaked objects')
                for l in body[:30]:
                    print(f'    {l}')
            else:
                passed += 1
                print('ok   kmemleak: no leaks')
            continue
        cases, outer = count_results(body, kind)
        p = sum(1 for c in cases if c[1] and not SKIP.search(c[3]))
        s = sum(1 for c in cases if c[1] and SKIP.search(c[3]))
        bad = [c for c in cases if not c[1]]
        problems = []
        if kind == 'kunit' and any(not o[1] for o in outer) and not bad:
            problems.append('suite reported failure')
        if kind in ('tap', 'rust'):
            rc = re.search(r'rc=(\d+)', end)
            rc = int(rc.group(1)) if rc else -1
            if rc not in (0, 4):
                problems.append(f'exit status {rc}')
        if end == 'unterminated':
            problems.append('output ended early')
        if not cases:
            problems.append('no test results')
        passed += p
        skipped += s
        failed += len(bad) + (1 if problems and not bad else 0)
        status = 'FAIL' if bad or problems else 'ok  '
        extra = f', {s} skipped' if s else ''
        print(f'{status} {kind} {name}: {p} passed, {len(bad)} failed{extra}'
              + (f' ({"; ".join(problems)})' if problems else ''))
        if bad or problems:
            for c in bad:
                print(f'    not ok {c[2]} {c[3]}')
            for l in body:
                if l.strip().startswith('#') and not SKIP.search(l):
                    print(f'    {l.strip()}')

    # What the reliability tests counted (issue 9): printed whatever their result.
    tallies = [
        ('faults injected', re.compile(r'# faults injected: (\d+)')),
        ('transport cases', re.compile(r'transport cases: (\d+)')),
        ('fuzz calls', re.compile(r'^# fuzz: (\d+) calls \(')),
        ('concurrency iterations', re.compile(r'# concurrency iterations: (\d+)')),
    ]
    found = []
    for what, pat in tallies:
        total = sum(int(m.group(1)) for m in (pat.search(l) for l in res) if m)
        if total:
            found.append(f'{what} {total}')
    if found:
        print('     counts: ' + ', '.join(found))

    for line in res:
        m = re.match(r'^@@GUNYAH-ERROR (.*)@@', line)
        if m:
            failed += 1
            print(f'FAIL guest: {m.group(1)}')

    done = any(l.startswith('@@GUNYAH-DONE@@') for l in res)
    if not done or qemu_status != '1':
        failed += 1
        why = 'timed out' if qemu_status == 'timeout' else f'QEMU status {qemu_status}'
        print(f'FAIL guest: did not run to the end ({why})')
        for l in con[-25:]:
            print(f'    | {l}')
    else:
        passed += 1

    reports = []
    for i, line in enumerate(con):
        for pat, what in REPORTS:
            if pat.search(line):
                reports.append((what, i, line))
                break
    if reports:
        failed += 1
        kinds = sorted({r[0] for r in reports})
        print(f'FAIL sanitizers: {len(reports)} report lines ({", ".join(kinds)}) in the guest log')
        first = reports[0][1]
        for l in con[max(0, first - 2):first + 40]:
            print(f'    | {l}')
    else:
        passed += 1
        print('ok   sanitizers: no KASAN / lockdep / kmemleak / WARN / BUG report in the guest log')

    if counts_file:
        with open(counts_file, 'w') as f:
            f.write(f'{passed} {failed} {skipped}\n')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
