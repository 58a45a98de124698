// Zip archives in tests (an Electron release zip for a mirror on loopback) are written by the console's
// own writer: stored files with their Unix modes.
export { zipStored, type ZipFile as ZipEntry } from '../../src/main/core/reports/zip.ts'
