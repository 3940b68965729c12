import {
  buildEntryName,
  type BuildRecord,
  type Manifest,
  type ManifestFile,
  type Resource,
} from './format.js'
import { fingerprint, FingerprintSet } from './fingerprints.js'
import { ArchiveRefused, readArchive } from './reader.js'

// What the database would refuse, or what would be wrong once written, checked over the whole archive before the
// import writes anything: a rule broken on the last page must not be found after the first pages are in.

export interface ArchiveLimits {
  /** BUILD_MAX_BYTES: a build the API would not take is not taken from an archive either. */
  buildMaxBytes: number
}

/** Each record's fields that must be unique within the organization, as the database (or the import) compares them. */
const UNIQUE: Partial<Record<Resource, Rule[]>> = {
  collaborators: [{ field: 'email', label: 'email', fold: true }],
  apps: [{ field: 'slug', label: 'slug' }],
  devices: [{ field: 'serialNumber', label: 'serial number' }],
}

type Rule = { field: string; label: string; fold?: boolean }
const rulesOf = (resource: Resource): Rule[] => [{ field: 'id', label: 'id' }, ...(UNIQUE[resource] ?? [])]
const valueOf = (record: Record<string, unknown>, rule: Rule) => {
  const value = String(record[rule.field])
  return rule.fold ? value.toLowerCase() : value
}

/**
 * Reads the archive at `path` through (every byte against the manifest, every record against its schema), and
 * checks what spans records: ids and other unique fields, each build record against its entry's size and
 * SHA-256, and each build's app. Throws ArchiveRefused naming the first problem; returns the manifest.
 */
export async function checkArchive(path: string, limits: ArchiveLimits): Promise<Manifest> {
  let files = new Map<string, ManifestFile>()
  const appIds = new Set<string>()
  const buildApps: Array<{ id: string; applicationId: string }> = []
  // Unique values as fingerprints (fingerprints.ts); a repeated fingerprint makes its value a suspect.
  const seen = new Map<Resource, Array<{ rule: Rule; values: FingerprintSet }>>()
  const suspects = new Map<Resource, Array<{ rule: Rule; values: FingerprintSet }>>()
  const manifest = await readArchive(path, {
    manifest(manifest) {
      files = new Map(manifest.files.map((file) => [file.name, file]))
    },
    async records(resource, records) {
      let rules = seen.get(resource)
      if (!rules)
        seen.set(
          resource,
          (rules = rulesOf(resource).map((rule) => ({ rule, values: new FingerprintSet() }))),
        )
      for (const record of records as Array<Record<string, unknown>>) {
        for (const { rule, values } of rules) {
          const print = fingerprint(valueOf(record, rule))
          if (values.add(print)) continue
          const list = suspects.get(resource) ?? []
          suspects.set(resource, list)
          let suspect = list.find((s) => s.rule === rule)
          if (!suspect) list.push((suspect = { rule, values: new FingerprintSet() }))
          suspect.values.add(print)
        }
        if (resource === 'apps') appIds.add(String(record.id))
        if (resource === 'builds') {
          const build = record as unknown as BuildRecord
          checkBuild(build, files, limits)
          buildApps.push({ id: build.id, applicationId: build.applicationId })
        }
      }
    },
  })
  if (suspects.size > 0) await confirmDuplicates(path, suspects)
  for (const build of buildApps)
    if (!appIds.has(build.applicationId))
      throw new ArchiveRefused(
        `build ${build.id} belongs to app ${build.applicationId}, which is not in apps.ndjson`,
      )
  return manifest
}

/**
 * Reads the archive once more, keeping the suspects' values exactly, and refuses it at the first value that is
 * really repeated. When there is none (fingerprints of different values met), the archive is fine.
 */
async function confirmDuplicates(
  path: string,
  suspects: Map<Resource, Array<{ rule: Rule; values: FingerprintSet }>>,
): Promise<void> {
  const exact = new Map<Rule, Set<string>>()
  await readArchive(path, {
    async records(resource, records) {
      const rules = suspects.get(resource) ?? []
      for (const record of records as Array<Record<string, unknown>>)
        for (const { rule, values } of rules) {
          const value = valueOf(record, rule)
          if (!values.has(fingerprint(value))) continue
          const kept = exact.get(rule) ?? new Set<string>()
          exact.set(rule, kept)
          if (kept.has(value))
            throw new ArchiveRefused(
              `two ${resource} records have the ${rule.label} ${JSON.stringify(value)}`,
            )
          kept.add(value)
        }
    },
  })
}

/** A build's row is written from its record: the record must say what its bytes are. */
function checkBuild(build: BuildRecord, files: Map<string, ManifestFile>, limits: ArchiveLimits): void {
  const entry = files.get(buildEntryName(build.applicationId, build.id))
  if (!entry) throw new ArchiveRefused(`build ${build.id} has no bytes in the archive`)
  if (entry.size !== build.size || entry.sha256 !== build.sha256)
    throw new ArchiveRefused(
      `build ${build.id} says ${build.size} bytes and SHA-256 ${build.sha256}, its bytes are ${entry.size} with ${entry.sha256}`,
    )
  if (build.size > limits.buildMaxBytes)
    throw new ArchiveRefused(
      `build ${build.id} is ${build.size} bytes, over this server's BUILD_MAX_BYTES (${limits.buildMaxBytes})`,
    )
}
