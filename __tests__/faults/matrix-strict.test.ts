/** The fault matrix (matrix-suite.ts) against the strict emulator: answers only as Qlik's spec allows. */
import { defineMatrix } from './matrix-suite.js';

defineMatrix(true);
