/**
 * The start-up reference: a bundle of only the GitHub Actions toolkit the action is built on
 * (`@actions/core`, `@actions/http-client`), built by bench/run.ts with the same ncc settings as
 * `npm run bundle`. It reads one input and sends one GET, so that "process start → first request"
 * compares like with like.
 */
import * as core from '@actions/core';
import { HttpClient } from '@actions/http-client';

const client = new HttpClient('bench-toolkit-only');
const res = await client.get(core.getInput('url', { required: true }));
await res.readBody();
