/** The version of the action and the command: one version, package.json's (a test holds them together). */
export const VERSION = '0.1.0';
