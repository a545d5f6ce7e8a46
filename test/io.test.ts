/** Output files: all or nothing, and never a rename over something that is not a regular file. */
import { execFileSync } from 'node:child_process';
import { lstatSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertWritable, writeFileAtomic } from '../src/io.js';
import { runCommand, tempDir } from './helpers.js';

describe('writeFileAtomic', () => {
  it('writes into a FIFO in place (a rename would replace it, as it once replaced /dev/null)', async () => {
    const dir = tempDir();
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const reader = runCommand('cat', [fifo]);
    assertWritable(fifo);
    writeFileAtomic(fifo, 'through the pipe\n');
    expect((await reader).stdout).toBe('through the pipe\n');
    expect(statSync(fifo).isFIFO()).toBe(true);
  });

  it('replaces the file a symlink names and keeps the symlink', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'real.json'), 'old');
    symlinkSync('real.json', join(dir, 'link.json'));
    writeFileAtomic(join(dir, 'link.json'), 'new');
    expect(lstatSync(join(dir, 'link.json')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dir, 'link.json'))).toBe('real.json');
    expect(readFileSync(join(dir, 'real.json'), 'utf8')).toBe('new');
  });

  it.each([
    { path: '/nonexistent-dir/out.json', message: 'cannot write /nonexistent-dir/out.json: no such directory' },
    // the directory exists, but no file can be made in it: the probe's ENOENT is not "no such directory"
    { path: '/proc/version', message: 'cannot write /proc/version: cannot create a file in /proc (ENOENT)' },
  ])('$path: $message', ({ path, message }) => {
    expect(() => assertWritable(path)).toThrow(message);
  });

  it('a directory is a one-line error', () => {
    expect(() => assertWritable(tempDir())).toThrow(/: is a directory$/);
  });
});
