/** The version of the action and the command: one version, package.json's (a test holds them together). */
export const VERSION = '1.0.0';
