// V8 settings that keep the server's memory down, applied as main.ts's first import so they are in
// force before the Prisma query compiler is compiled and before the heap grows. They are set here
// rather than on the node command line so every way of starting the server (npm start, the
// benchmark, the end-to-end tests, `node dist/src/main.js`) gets them. Only flags V8 reads when it
// uses them work this way; ones read at heap set-up (e.g. --max-semi-space-size) would be ignored.
import { setFlagsFromString } from 'node:v8';

/**
 * Prisma's query compiler is a 3 MiB WebAssembly module. By default V8 later recompiles its hot
 * functions with TurboFan on background threads, which leaves about 50 MiB resident (compiler
 * memory kept by those threads' malloc arenas, plus the optimised code). The compiler only runs on
 * a query-plan cache miss, so the baseline (Liftoff) code is fast enough: no measurable change in
 * CPU per request.
 */
setFlagsFromString('--liftoff-only');

/**
 * Under load, requests in flight survive young-generation collections and are promoted, then die in
 * the old generation, which V8 lets grow to up to four times the live size before collecting it:
 * 110 MiB of old space for about 35 MiB live. Growing by at most half the live size after each
 * full collection keeps it near 40 MiB for about 1% more CPU spent collecting.
 */
setFlagsFromString('--heap-growing-percent=50');
