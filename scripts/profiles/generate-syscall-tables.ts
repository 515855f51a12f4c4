// Generates src/profiles/syscalls/<arch>.json (name → number) from the kernel's UAPI headers in
// Debian's linux-libc-dev package, recording the package, its version and the kernel version.
//
// Debian 13 (trixie) ships the headers of every architecture in one `Architecture: all`
// package, so one download serves x86_64, i386, x32 and aarch64. The package is fetched with
// apt's own client into a temporary apt state (the machine's apt configuration is not touched),
// or read from a .deb given with --deb.
//
// usage: node scripts/profiles/generate-syscall-tables.ts [--deb FILE] [--suite trixie]

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT_DIR = join(REPO_ROOT, 'src', 'profiles', 'syscalls');
const PACKAGE = 'linux-libc-dev';

/** Our architecture name, the header that lists its numbers, and how a line there reads. */
const TABLES = [
  { arch: 'x86_64', header: 'x86_64-linux-gnu/asm/unistd_64.h', x32Bit: false },
  { arch: 'x86', header: 'i386-linux-gnu/asm/unistd_32.h', x32Bit: false },
  { arch: 'x32', header: 'x86_64-linux-gnu/asm/unistd_x32.h', x32Bit: true },
  { arch: 'aarch64', header: 'aarch64-linux-gnu/asm/unistd_64.h', x32Bit: false },
] as const;

const X32_SYSCALL_BIT = 0x40000000;

/**
 * The Debian archive this machine's apt already uses (its sources), so the script names no
 * mirror of its own: the first `URIs:` of a deb822 source, else the first `deb` line.
 */
function debianArchive(): string {
  const texts: string[] = [];
  for (const dir of ['/etc/apt/sources.list.d']) {
    try {
      for (const name of readdirSync(dir).sort())
        if (name.endsWith('.sources') || name.endsWith('.list'))
          texts.push(readFileSync(join(dir, name), 'utf8'));
    } catch {
      // no such directory: only sources.list
    }
  }
  try {
    texts.push(readFileSync('/etc/apt/sources.list', 'utf8'));
  } catch {
    // none
  }
  for (const text of texts) {
    const uri =
      /^URIs:\s*(\S+)/m.exec(text)?.[1] ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/m.exec(text)?.[1];
    if (uri && !uri.includes('security')) return uri.replace(/\/$/, '');
  }
  throw new Error('no Debian archive found in the apt sources of this machine');
}

function downloadDeb(suite: string, work: string): string {
  const lists = join(work, 'lists');
  const cache = join(work, 'cache');
  mkdirSync(join(lists, 'partial'), { recursive: true });
  mkdirSync(join(cache, 'archives', 'partial'), { recursive: true });
  const sources = join(work, 'sources.list');
  writeFileSync(
    sources,
    `deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${debianArchive()} ${suite} main\n`,
  );
  const aptOptions = [
    '-o',
    `Dir::Etc::sourcelist=${sources}`,
    '-o',
    'Dir::Etc::sourceparts=-',
    '-o',
    `Dir::State::Lists=${lists}`,
    '-o',
    `Dir::Cache=${cache}`,
    '-o',
    'Dir::State::status=/dev/null',
    '-o',
    'Debug::NoLocking=1',
    '-o',
    'APT::Sandbox::User=root',
  ];
  execFileSync('apt-get', [...aptOptions, 'update', '-qq'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  execFileSync('apt-get', [...aptOptions, 'download', '-qq', PACKAGE], {
    cwd: work,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deb = readdirSync(work).find((f) => f.startsWith(`${PACKAGE}_`) && f.endsWith('.deb'));
  if (!deb) throw new Error(`apt-get download ${PACKAGE} left no .deb in ${work}`);
  return join(work, deb);
}

function debField(deb: string, field: string): string {
  return execFileSync('dpkg-deb', ['-f', deb, field], { encoding: 'utf8' }).trim();
}

/** `#define __NR_read 0` or, for x32, `#define __NR_read (__X32_SYSCALL_BIT + 0)`. */
function parseHeader(text: string, x32Bit: boolean): Record<string, number> {
  const pattern = x32Bit
    ? /^#define __NR_(\w+) \(__X32_SYSCALL_BIT \+ (\d+)\)$/
    : /^#define __NR_(\w+) (\d+)$/;
  const entries: [string, number][] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('#define __NR_')) continue;
    const match = pattern.exec(line);
    if (!match) throw new Error(`unexpected header line: ${line}`);
    const number = Number(match[2]) + (x32Bit ? X32_SYSCALL_BIT : 0);
    entries.push([match[1] as string, number]);
  }
  entries.sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
  return Object.fromEntries(entries);
}

function main(): void {
  const { values } = parseArgs({
    options: { deb: { type: 'string' }, suite: { type: 'string', default: 'trixie' } },
  });
  const work = mkdtempSync(join(tmpdir(), 'runtime-guard-syscalls-'));
  try {
    const deb = values.deb ? resolve(values.deb) : downloadDeb(values.suite, work);
    const version = debField(deb, 'Version');
    const kernel = /^(\d+\.\d+(?:\.\d+)?)/.exec(version)?.[1];
    if (!kernel) throw new Error(`cannot read a kernel version from ${PACKAGE} ${version}`);
    const root = join(work, 'root');
    execFileSync('dpkg-deb', ['-x', deb, root]);
    mkdirSync(OUT_DIR, { recursive: true });
    for (const table of TABLES) {
      const header = join(root, 'usr', 'include', table.header);
      const syscalls = parseHeader(readFileSync(header, 'utf8'), table.x32Bit);
      const data = {
        arch: table.arch,
        source: {
          package: PACKAGE,
          version,
          suite: values.deb ? `from ${basename(deb)}` : `debian ${values.suite}`,
          header: `/usr/include/${table.header}`,
        },
        kernel,
        syscalls,
      };
      writeFileSync(join(OUT_DIR, `${table.arch}.json`), `${JSON.stringify(data, null, 2)}\n`);
      process.stderr.write(
        `${table.arch}: ${Object.keys(syscalls).length} syscalls (${PACKAGE} ${version})\n`,
      );
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
