// Turns the --json of the kit's commands into the Markdown tables the decks
// include (scripts/slides.sh runs it on real runs at build time; nothing in
// a table is typed by hand).
//   node tables.mjs KIND FILE... > TABLE.md
import { readFileSync } from 'node:fs';

const [kind, ...files] = process.argv.slice(2);
const docs = files.map((f) => JSON.parse(readFileSync(f, 'utf8')));

const row = (cells) => `| ${cells.join(' | ')} |`;
const table = (head, rows, align) =>
  [row(head), row(align ?? head.map(() => '---')), ...rows.map(row)].join('\n') + '\n';
const fixed = (x, d = 1) => Number(x).toFixed(d);
const pct = (x) => `${fixed(100 * x)}%`;
// Microseconds as a person reads them: ns below 1 µs, ms above 1000 µs.
const time = (us) =>
  us < 1 ? `${fixed(us * 1000, 0)} ns` : us < 1000 ? `${fixed(us, 1)} µs` : `${fixed(us / 1000, 2)} ms`;
const ms = (x) => `${fixed(x, 1)} ms`;

const kinds = {
  // ptv threads sim -c --json, one file per model: Fig. 3-2's models side by side.
  'threads-models': () =>
    table(
      ['model', 'finish U0, U1, …', 'makespan', 'utilisation', 'switch', 'upcall', 'idle'],
      docs.map((d) => [
        d.model + (d.model === 'many-to-many' ? `, K = ${d.kernel_entities}` : ''),
        d.finish.join(', '),
        d.makespan,
        pct(d.utilisation),
        d.cpu_ticks.switch,
        d.cpu_ticks.upcall,
        d.cpu_ticks.idle,
      ]),
      ['---', '---', '---:', '---:', '---:', '---:', '---:']),

  // ptv threads measure --json: this machine beside Anderson et al. 1992.
  'threads-measure': () => {
    const [d] = docs;
    return table(
      ['operation', 'fiber', 'kernel thread', 'process', '1992: user / kernel / process'],
      d.rows.map((r) => [
        r.label,
        time(r.today_us.fiber),
        time(r.today_us.thread),
        time(r.today_us.process),
        r.anderson_1992_us
          ? `${r.anderson_1992_us.fiber} / ${r.anderson_1992_us.thread} / ${r.anderson_1992_us.process} µs`
          : '–',
      ]),
      ['---', '---:', '---:', '---:', '---:']);
  },

  // ptv vmm compare GUEST --json: every technique on one guest.
  'vmm-compare': () => {
    const [d] = docs;
    const sum = (o) => Object.values(o ?? {}).reduce((a, b) => a + b, 0);
    return table(
      ['technique', 'traps', 'VM exits', 'hypercalls', 'modelled cycles', 'same as bare machine'],
      d.techniques.map((t) => [
        t.technique,
        sum(t.traps),
        sum(t.vm_exits),
        t.hypercalls,
        t.modelled_cycles.toLocaleString('en-US'),
        t.equivalent ? 'yes' : `**no**: ${t.divergences.length} divergences`,
      ]),
      ['---', '---:', '---:', '---:', '---:', '---']);
  },

  // ptv vmm run GUEST --json: the exits (or traps) by cause.
  'vmm-exits': () => {
    const [d] = docs;
    const counts = { ...(d.vm_exits ?? {}), ...(d.traps ?? {}) };
    return table(
      ['cause', 'count'],
      Object.entries(counts).map(([k, v]) => [k, v]).concat([['hypercalls', d.hypercalls ?? 0]]),
      ['---', '---:']);
  },

  // ptv servers sim -c --json: the architectures of ch. 3.3 on one problem.
  'servers-sim': () => {
    const [d] = docs;
    return table(
      ['architecture', 'slots', 'CPUs used', 'last reply', 'requests/s', 'mean response', 'CPU busy'],
      d.architectures.map((a) => [
        a.architecture,
        a.slots,
        a.cpus_used,
        `${a.makespan_ms} ms`,
        fixed(a.throughput_rps),
        ms(a.mean_response_ms),
        pct(a.utilisation),
      ]),
      ['---', '---:', '---:', '---:', '---:', '---:', '---:']);
  },

  // ptv migrate bindings --table --json: Fig. 3-19 from the kit's own table.
  'bindings-table': () => {
    const [d] = docs;
    const cols = ['unattached', 'fastened', 'fixed'];
    const cell = (a) => (a.length > 1 ? `**${a[0]}** (or ${a.slice(1).join(', ')})` : `**${a[0]}**`);
    return table(
      ['process-to-resource', ...cols],
      ['by identifier', 'by value', 'by type'].map((b) => [b, ...cols.map((c) => cell(d.table[b][c]))]));
  },

  // ptv migrate sim -c --json: the first pre-copy rounds and the totals.
  'migrate-rounds': () => {
    const [d] = docs;
    const a = d.answers;
    const shown = a.rounds.slice(0, 4);
    const rows = shown.map((r) => [r.round, ms(r.duration_ms), r.pages_sent, r.pages_dirtied, r.decision]);
    if (a.rounds.length > shown.length) {
      const last = a.rounds[a.rounds.length - 1];
      rows.push(['…', '', '', '', '']);
      rows.push([last.round, ms(last.duration_ms), last.pages_sent, last.pages_dirtied, `${last.decision}: ${last.reason}`]);
    }
    rows.push(['stop-and-copy', ms(a.downtime_ms), a.stop_copy_pages, 0, 'downtime']);
    return table(['round', 'duration', 'pages sent', 'pages dirtied', 'decision'], rows,
      ['---', '---:', '---:', '---:', '---']);
  },

  // ptv migrate sim --policy P -c --json, one file per policy.
  'migrate-policies': () =>
    table(
      ['policy', 'downtime', 'total time', 'pages sent', '× memory', 'remote faults'],
      docs.map((d) => [
        d.config.policy,
        ms(d.answers.downtime_ms),
        ms(d.answers.total_ms),
        d.answers.pages_sent,
        fixed(d.answers.sent_factor, 2),
        d.answers.postcopy ? d.answers.postcopy.remote_faults : '–',
      ]),
      ['---', '---:', '---:', '---:', '---:', '---:']),
};

if (!kinds[kind] || docs.length === 0) {
  console.error(`tables.mjs: usage: node tables.mjs ${Object.keys(kinds).join('|')} FILE...`);
  process.exit(2);
}
process.stdout.write(kinds[kind]());
