// What a result set records about where and how it was made: machine, tool versions, git state, options.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { gnuTimeAvailable, toolVersion, which } from './tools.mjs';

/** CLI tools the sections may use, with how to ask each for its version. */
export const CLI_TOOLS = {
  zstd: ['--version'],
  xz: ['--version'],
  brotli: ['--version'],
  tar: ['--version'],
  zpaq: [],
  borg: ['--version'],
  restic: ['version'],
};

export function findTools() {
  const tools = {};
  for (const name of Object.keys(CLI_TOOLS)) tools[name] = which(name);
  return tools;
}

export function toolVersions(tools) {
  const v = {};
  for (const [name, args] of Object.entries(CLI_TOOLS)) {
    v[name] = tools[name] ? toolVersion(tools[name], args) : null;
  }
  v.time = gnuTimeAvailable() ? toolVersion('/usr/bin/time', ['--version']) : null;
  return v;
}

function git(root, args) {
  const r = spawnSync('git', args, { cwd: root, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

export function gitState(root) {
  const commit = git(root, ['rev-parse', 'HEAD']);
  const status = git(root, ['status', '--porcelain']);
  return {
    commit,
    branch: git(root, ['rev-parse', '--abbrev-ref', 'HEAD']),
    subject: git(root, ['log', '-1', '--format=%s']),
    dirty: status == null ? null : status.length > 0,
    dirtyFiles: status == null ? null : status.split('\n').filter(Boolean).length,
  };
}

function osPretty() {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m) return m[1];
  } catch {
    /* not Linux */
  }
  return null;
}

export function machine() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model?.trim() ?? null,
    cores: cpus.length,
    availableParallelism: os.availableParallelism?.() ?? null,
    memoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    osName: osPretty(),
    hostname: os.hostname(),
    loadAverage: os.loadavg(),
  };
}

export function versions(root) {
  let pkg = null;
  try {
    pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8'));
  } catch {
    /* none */
  }
  const dep = (name) => {
    try {
      return JSON.parse(readFileSync(`${root}/node_modules/${name}/package.json`, 'utf8')).version;
    } catch {
      return null;
    }
  };
  return {
    'panini-fs': pkg?.version ?? null,
    node: process.version,
    v8: process.versions.v8,
    zlib: process.versions.zlib,
    brotliLib: process.versions.brotli,
    fflate: dep('fflate'),
    'hash-wasm': dep('hash-wasm'),
  };
}
