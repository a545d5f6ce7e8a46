/**
 * The worker thread an enforcing `sbx run` starts while a program runs under a provisional
 * filter: plans the policy's layout in full and caches it (filter-cache.ts searchWhileRunning).
 */
import { workerData } from 'node:worker_threads';
import { searchInFull, type PendingSearch } from './filter-cache.js';

searchInFull(workerData as PendingSearch);
