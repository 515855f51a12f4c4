/**
 * Reads a V8 CPU profile (`node --cpu-prof`, or `npm run bench -- --cpu-prof DIR`) and prints
 * where the time went: self time by function, and total time by the code it was spent in
 * (a file under src/, a package under node_modules/, Node's own modules, GC, idle). With
 * `--folded FILE` it also writes the stacks in the folded format flame graph tools read
 * (flamegraph.pl, inferno-flamegraph, speedscope).
 *
 *   node bench/webhook/profile-summary.ts CPU.….cpuprofile [--top 30] [--folded stacks.txt]
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The part of the program a frame belongs to, from its URL. */
export function areaOf(url: string, functionName: string): string {
  if (url === '') {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'V8/native (program)';
    return `native: ${functionName || '(anonymous)'}`;
  }
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return `npm: ${rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (url.startsWith('node:')) return `node: ${url.slice(5).split('/')[0]}`;
  const src = url.indexOf('/src/');
  if (src !== -1) return `runtime-guard: ${url.slice(src + 1)}`;
  const bench = url.indexOf('/bench/');
  if (bench !== -1) return `bench: ${url.slice(bench + 1)}`;
  return url;
}

export async function summarize(file: string, top: number, folded?: string): Promise<string> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);

  const selfUs = new Map<number, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
    totalUs += delta;
  });

  const label = (node: ProfileNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url
      ? `${areaOf(url, functionName).replace(/^[^:]+: /, '')}:${lineNumber + 1}`
      : '';
    return `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
  };

  const selfByFunction = new Map<string, number>();
  const totalByArea = new Map<string, number>();
  const stacks = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const name = label(node);
    selfByFunction.set(name, (selfByFunction.get(name) ?? 0) + us);
    // Total time per area: every area on the stack counts once.
    const areas = new Set<string>();
    const frames: string[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at);
      if (!frame) break;
      areas.add(areaOf(frame.callFrame.url, frame.callFrame.functionName));
      frames.push(label(frame).replace(/;/g, ','));
    }
    for (const area of areas) totalByArea.set(area, (totalByArea.get(area) ?? 0) + us);
    const stack = frames.reverse().join(';');
    stacks.set(stack, (stacks.get(stack) ?? 0) + us);
  }

  const busyUs = totalUs - (totalByArea.get('idle') ?? 0);
  const share = (us: number) => `${((us / busyUs) * 100).toFixed(1).padStart(5)} %`;
  const lines = [
    `${file}: ${(totalUs / 1e6).toFixed(1)} s sampled, ${(busyUs / 1e6).toFixed(1)} s busy (shares below are of busy time)`,
    '',
    'total time by area (an area counts once per stack):',
    ...[...totalByArea]
      .filter(([area]) => area !== 'idle')
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([area, us]) => `  ${share(us)}  ${area}`),
    '',
    'self time by function:',
    ...[...selfByFunction]
      .filter(([name]) => name !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => `  ${share(us)}  ${name}`),
  ];
  if (folded) {
    const text = [...stacks].map(([stack, us]) => `${stack} ${Math.round(us)}`).join('\n');
    await writeFile(folded, `${text}\n`);
    lines.push('', `folded stacks (µs) written to ${folded}`);
  }
  return lines.join('\n');
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '30' }, folded: { type: 'string' } },
  });
  for (const file of positionals) {
    process.stdout.write(`${await summarize(file, Number(values.top), values.folded)}\n\n`);
  }
}
