/** The fault matrix (matrix-suite.ts) against the emulator as built. */
import { defineMatrix } from './matrix-suite.js';

defineMatrix(false);
