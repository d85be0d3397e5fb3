#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn a benchmark guest's logs into the table `make bench` prints.

usage: bench-report.py RESULTS_LOG CONSOLE_LOG QEMU_STATUS --programs "NAME..."
                       [--host TEXT] [--strict] [--rst FILE]

RESULTS_LOG holds what the guest's "bench" plan wrote: a bench-env section and one
"bench NAME" section per benchmark program, with the PLAN, RESULT and NOTE lines of
tests/bench/bench_util.h. Every planned row gets a line in the table: its ratio against its
floor, the target, the spread over the rounds, the medians and a verdict:

  PASS     ratio <= target
  OVER     ratio > target (a regression shows up here, as a worse ratio)
  info     no target: the row shows how a cost grows
  ERROR    the program could not measure it (the reason is printed)
  MISSING  planned but never reported (the program died)

Exit status: 1 if a row is ERROR or MISSING, a program in --programs did not run or failed,
the guest did not run to the end, or the kernel log has a WARN / BUG / Oops report; with
--strict also if a row is OVER; else 0. --rst writes the table as a reStructuredText
list-table, for Documentation/benchmarks.rst.
"""
import datetime
import importlib.util
import os
import re
import sys

_spec = importlib.util.spec_from_file_location(
    'guest_report', os.path.join(os.path.dirname(os.path.abspath(__file__)), 'guest-report.py'))
guest_report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(guest_report)


def human(value, unit):
    """A median in readable units."""
    if value is None:
        return '-'
    if unit == 'msgs':
        return f'{value:.0f} msgs'
    if value < 1e3:
        return f'{value:.0f} ns'
    if value < 1e6:
        return f'{value / 1e3:.1f} us'
    if value < 1e9:
        return f'{value / 1e6:.1f} ms'
    return f'{value / 1e9:.2f} s'


def parse_result(line):
    """A RESULT line as a dict: workload, param, and its key=value pairs (error= to the end)."""
    head, _, error = line.partition(' error=')
    words = head.split()
    row = {'workload': words[1], 'param': words[2]}
    for w in words[3:]:
        k, _, v = w.partition('=')
        row[k] = v
    if error or line.endswith(' error='):
        row['error'] = error or 'unknown error'
    return row


def verdict(row):
    """PASS, OVER, info or ERROR (an error= row, or a RESULT line without its numbers)."""
    if 'error' in row:
        return 'ERROR'
    try:
        ratio = float(row['ratio'])
        float(row['median'])
        float(row['floor'])
        target = row.get('target', '-')
        if target == '-':
            return 'info'
        return 'PASS' if ratio <= float(target) else 'OVER'
    except (KeyError, ValueError):
        row['error'] = 'malformed RESULT line'
        return 'ERROR'


def main():
    args = sys.argv[1:]
    opts = {'--programs': '', '--host': '', '--rst': None}
    strict = '--strict' in args
    if strict:
        args.remove('--strict')
    for opt in opts:
        if opt in args:
            i = args.index(opt)
            opts[opt] = args[i + 1]
            del args[i:i + 2]
    results_log, console_log, qemu_status = args
    programs = opts['--programs'].split()

    with open(results_log, errors='replace') as f:
        res = [l.rstrip('\r\n') for l in f]
    with open(console_log, errors='replace') as f:
        con = [l.rstrip('\r\n') for l in f]

    env = {}
    rows = []          # (program, dict), in PLAN order
    notes = []
    problems = []
    seen = set()
    for kind, name, end, body in guest_report.sections(res):
        if kind == 'bench-env':
            for l in body:
                k, _, v = l.partition(' ')
                env[k] = v.strip()
            continue
        if kind != 'bench':
            continue
        seen.add(name)
        planned = []
        results = {}
        for l in body:
            if l.startswith('PLAN '):
                w = l.split()
                planned.append((w[1], w[2]))
            elif l.startswith('RESULT '):
                r = parse_result(l)
                results[(r['workload'], r['param'])] = r
            elif l.startswith('NOTE '):
                notes.append(f'{name}: {l[5:]}')
        for key in planned + [k for k in results if k not in planned]:
            rows.append((name, results.get(key, {'workload': key[0], 'param': key[1],
                                                 'missing': True})))
        rc = re.search(r'rc=(-?\d+)', end)
        rc = int(rc.group(1)) if rc else None
        if end == 'unterminated':
            problems.append(f'{name}: output ended early')
        elif rc != 0:
            problems.append(f'{name}: exit status {rc}')
            problems.extend(f'    | {l}' for l in body
                            if not l.startswith(('PLAN ', 'RESULT ', 'NOTE ')))
        if not planned:
            problems.append(f'{name}: planned no rows')
    for p in programs:
        if p not in seen:
            problems.append(f'{p}: did not run')
    for line in res:
        m = re.match(r'^@@GUNYAH-ERROR (.*)@@', line)
        if m:
            problems.append(f'guest: {m.group(1)}')
    if not any(l.startswith('@@GUNYAH-DONE@@') for l in res) or qemu_status != '1':
        why = 'timed out' if qemu_status == 'timeout' else f'QEMU status {qemu_status}'
        problems.append(f'guest: did not run to the end ({why})')
        problems.extend(f'    | {l}' for l in con[-25:])
    reports = [l for l in con if any(p.search(l) for p, _ in guest_report.REPORTS)]
    if reports:
        problems.append(f'kernel log: {len(reports)} report lines (WARN / BUG / Oops / ...), '
                        'first: ' + reports[0])

    # The table
    when = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
    header = (f'make bench, {when}: guest Linux {env.get("kernel", "?")}, '
              f'{env.get("cpus", "?")} vCPUs ({env.get("cpu", "?")}), '
              f'{env.get("memory", "?")}, clocksource {env.get("clocksource", "?")}')
    cols = ['workload', 'parameter', 'ratio', 'target', 'spread p10..p90', 'median', 'floor',
            'result']
    table = []
    counts = {}
    for prog, r in rows:
        v = 'MISSING' if r.get('missing') else verdict(r)
        counts[v] = counts.get(v, 0) + 1
        if v in ('ERROR', 'MISSING'):
            detail = r.get('error', f'never reported ({prog} planned it)')
            table.append([r['workload'], r['param'], '-', r.get('target', '-'), '-', '-', '-',
                          f'{v}: {detail}'])
            continue
        unit = r.get('unit', 'ns')
        table.append([r['workload'], r['param'], r['ratio'], r.get('target', '-'),
                      r.get('spread', '-'), human(float(r['median']), unit),
                      human(float(r['floor']), unit), v])

    print(header)
    if opts['--host']:
        print(f'host: {opts["--host"]}')
    widths = [max([len(c)] + [len(t[i]) for t in table if i < len(cols) - 1])
              for i, c in enumerate(cols)]
    print('  '.join(c.ljust(w) for c, w in zip(cols, widths)).rstrip())
    for t in table:
        print('  '.join(x.ljust(w) for x, w in zip(t, widths)).rstrip())
    if notes:
        print()
        for n in notes:
            print(f'note: {n}')
    summary = ', '.join(f'{counts.get(k, 0)} {k}' for k in
                        ('PASS', 'OVER', 'info', 'ERROR', 'MISSING'))
    print(f'\n{len(table)} rows: {summary}')
    for p in problems:
        print(f'FAIL {p}' if not p.startswith('    ') else p)

    if opts['--rst']:
        with open(opts['--rst'], 'w') as f:
            f.write(f'{header}.')
            if opts['--host']:
                f.write(f' Host: {opts["--host"]}.')
            f.write('\n\n.. list-table::\n   :header-rows: 1\n\n')
            for t in [cols] + table:
                # A lone "-" would start a bullet list
                t = [x if x != '-' else '\\-' for x in t]
                f.write(f'   * - {t[0]}\n')
                for x in t[1:]:
                    f.write(f'     - {x}\n')

    broken = counts.get('ERROR', 0) + counts.get('MISSING', 0) + len(problems)
    if broken:
        return 1
    if strict and counts.get('OVER', 0):
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
