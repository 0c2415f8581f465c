/** The fault matrix (matrix-suite.ts): its cells against the strict emulator, answers only as Qlik's spec allows (the other half). */
import { defineMatrix } from './matrix-suite.js';

defineMatrix(true);
