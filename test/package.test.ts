/** The npm tarball is complete: it installs globally and its `sbx` traces a program. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT, runCommand, tempDir } from './helpers.js';

it('npm pack → npm install -g → sbx learn works', async () => {
  const dir = tempDir('sbx-pack-');
  // --ignore-scripts: npm test built dist/ already; rebuilding it here would pull it from under the tests running beside this one.
  const pack = spawnSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' });
  expect(pack.status, pack.stderr).toBe(0);
  const tarball = join(dir, pack.stdout.trim().split('\n').pop()!);
  const prefix = join(dir, 'prefix');
  const install = spawnSync('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', tarball], { encoding: 'utf8' });
  expect(install.status, install.stderr).toBe(0);
  const sbx = join(prefix, 'bin', 'sbx');
  const version = await runCommand(sbx, ['--version'], { cwd: dir });
  expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  const out = join(dir, 'p.json');
  const learn = await runCommand(sbx, ['learn', '-q', '-o', out, '--', 'true'], { cwd: dir });
  expect(learn.code, learn.stderr).toBe(0);
  const report = await runCommand(sbx, ['report', out], { cwd: dir });
  expect(report.stdout).toMatch(/execve/);
}, 180_000);
