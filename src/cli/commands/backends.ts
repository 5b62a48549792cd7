/**
 * `ltr-rnn backends`: which backends are installed, which start here, SIMD and threads for wasm,
 * and the default with the reason it is the default.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BACKEND_NAMES, BACKEND_PACKAGES, DEFAULT_BACKEND, type BackendName } from '../../backend/names';
import { backendInfo, ready, useBackend, type BackendInfo } from '../../backend/use';
import { isLtrError } from '../../validate/errors';
import type { FlagValues } from '../args';
import type { Command, CommandContext, CommandResult } from '../context';
import { table } from '../format';

const NAME = 'backends';

/** What `backends` found out about one backend. */
export interface BackendReport {
  name: BackendName;
  packageName: string;
  /** Installed package version, or null when not installed. */
  version: string | null;
  installed: boolean;
  /** Whether it started in this process. */
  loads: boolean;
  simd: boolean | null;
  threads: boolean | null;
  numThreads: number | null;
  float32: boolean | null;
  /** GPU adapter (webgpu / webgl), when it started. */
  gpu: string | null;
  /** Why it did not start. */
  error: string | null;
}

export const backendsCommand: Command = {
  name: NAME,
  summary: 'installed backends, which start here, SIMD/threads, the default and why',
  help: `Usage: ltr-rnn backends [--json]

Tries to start every backend the library knows (${BACKEND_NAMES.join(', ')}) and reports which
package provides it, whether it is installed and starts in this process, wasm's SIMD and threads,
float32 support, the GPU adapter for webgpu/webgl, and which backend is the default and why.
Starting webgpu may print driver warnings on stderr.

Example:
  ltr-rnn backends
  ltr-rnn backends --json
`,
  flags: {},
  positionals: { min: 0, max: 0, names: [] },
  needsBackend: true,
  run: async (ctx: CommandContext, _v: FlagValues): Promise<CommandResult> => {
    const active = await ready();
    const reports: BackendReport[] = [];
    ctx.progress.stage('probing backends', BACKEND_NAMES.length, 'backends');
    for (const [i, name] of BACKEND_NAMES.entries()) {
      ctx.progress.update(i, name);
      reports.push(await probe(name, name === active.name ? active : null));
    }
    ctx.progress.update(BACKEND_NAMES.length);
    ctx.progress.end();
    // Put the backend the command started with back.
    if (backendInfo().name !== active.name) await useBackend(active.name);
    const wasm = reports.find((r) => r.name === DEFAULT_BACKEND);
    const why =
      `${DEFAULT_BACKEND} is the library's default (used when no --backend or useBackend() is given): SIMD WebAssembly runs matrix products 25–40× and ` +
      `the library's workloads 1.5–37× faster than the plain-JS cpu backend (docs/backends.md); the library falls back to cpu when ${DEFAULT_BACKEND} cannot start.`;
    const defaultLine = wasm?.loads ? `default: ${DEFAULT_BACKEND} — ${why}` : `default: ${DEFAULT_BACKEND} does not start here (${wasm?.error ?? 'unknown reason'}); the library falls back to cpu. ${why}`;
    const activeLine = `active: ${active.name}${active.isDefault ? ' (the default)' : ctx.globals.backend !== null ? ' (--backend)' : ''}`;
    const yn = (b: boolean | null): string => (b === null ? '—' : b ? 'yes' : 'no');
    const text = [
      table(
        ['backend', 'package', 'version', 'installed', 'starts', 'SIMD', 'threads', 'float32', 'note'],
        reports.map((r) => [
          r.name,
          r.packageName,
          r.version ?? '—',
          yn(r.installed),
          yn(r.loads),
          yn(r.simd),
          r.threads === null ? '—' : r.threads ? `yes (${r.numThreads})` : 'no',
          yn(r.float32),
          r.gpu ?? (r.error ? firstSentence(r.error) : ''),
        ]),
      ),
      '',
      defaultLine,
      activeLine,
    ].join('\n');
    return {
      text,
      summary: `${reports.filter((r) => r.loads).map((r) => r.name).join(', ')} start here; ${activeLine}`,
      json: { command: NAME, backends: reports, default: { name: DEFAULT_BACKEND, reason: why, loads: wasm?.loads ?? false }, active: active.name },
    };
  },
};

async function probe(name: BackendName, known: BackendInfo | null): Promise<BackendReport> {
  const packageName = BACKEND_PACKAGES[name];
  const report: BackendReport = { name, packageName, version: installedVersion(packageName), installed: false, loads: false, simd: null, threads: null, numThreads: null, float32: null, gpu: null, error: null };
  report.installed = report.version !== null;
  let info: BackendInfo | null = known;
  if (info === null) {
    // tfjs warns on the console when a backend fails to initialize; the error says it better.
    const warn = console.warn;
    const log = console.log;
    console.warn = () => undefined;
    console.log = () => undefined;
    try {
      info = await useBackend(name);
    } catch (e) {
      report.error = isLtrError(e) ? e.message : String((e as Error)?.message ?? e);
      if (isLtrError(e) && /is not installed/.test(e.message)) report.installed = false;
      else if (!report.installed) report.installed = true;
    } finally {
      console.warn = warn;
      console.log = log;
    }
  }
  if (info !== null) {
    report.installed = true;
    report.loads = true;
    report.version = info.packageVersion;
    report.simd = name === 'wasm' ? info.simd : null;
    report.threads = name === 'wasm' ? info.threads : null;
    report.numThreads = info.numThreads;
    report.float32 = info.float32;
    report.gpu = info.gpu === null ? null : describeGpu(info.gpu as unknown as Record<string, unknown>);
  }
  return report;
}

function describeGpu(gpu: Record<string, unknown>): string {
  const parts = ['vendor', 'architecture', 'device', 'description'].map((k) => gpu[k]).filter((x) => typeof x === 'string' && x !== '');
  return `${parts.length > 0 ? parts.join(' ') : 'GPU adapter'}${gpu.software === true ? ' (software)' : ''}`;
}

function firstSentence(s: string): string {
  const t = s.replace(/^Backend '\w+' /, '').split(/\.\s/)[0].replace(/\.$/, '');
  return t.length > 90 ? `${t.slice(0, 89)}…` : t;
}

/** The installed version of `pkg` as seen from this module, or null. */
function installedVersion(pkg: string): string | null {
  const require = createRequire(import.meta.url);
  try {
    return (JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    // Packages whose exports map hides package.json: walk up from the entry point.
    try {
      let dir = dirname(require.resolve(pkg));
      for (let i = 0; i < 6; i++) {
        try {
          const j = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
          if (j.name === pkg && typeof j.version === 'string') return j.version;
        } catch {
          // not here
        }
        dir = dirname(dir);
      }
    } catch {
      return null;
    }
    return null;
  }
}
