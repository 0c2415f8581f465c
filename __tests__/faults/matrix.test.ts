/** The fault matrix (matrix-suite.ts): its cells against the emulator as built (half of the checkerboard). */
import { defineMatrix } from './matrix-suite.js';

defineMatrix(false);
