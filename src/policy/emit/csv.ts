/** `csv`: the ranked rule table, one row per (arch, syscall): priority, share, category, reason. */
import { stringify } from 'csv-stringify/sync';
import { tableRows, type EmitContext, type EmitResult } from './shared.js';
import type { Policy } from '../policy.js';

const COLUMNS = [
  'rank',
  'syscall',
  'arch',
  'action',
  'priority',
  'calls',
  'share',
  'cumulative',
  'runs',
  'category',
  'provenance',
  'conditions',
  'reason',
] as const;

export function emit(policy: Policy, _context: EmitContext): EmitResult {
  const rows = tableRows(policy).map((r) => ({
    ...r,
    priority: r.priority ?? '',
    share: r.share.toFixed(2),
    cumulative: r.cumulative.toFixed(2),
  }));
  return { text: stringify(rows, { header: true, columns: [...COLUMNS] }), warnings: [] };
}
