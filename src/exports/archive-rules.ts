import {
  buildEntryName,
  type BuildRecord,
  type Manifest,
  type ManifestFile,
  type Resource,
} from './format.js'
import { ArchiveRefused, readArchive } from './reader.js'

// What the database would refuse, or what would be wrong once written, checked over the whole archive before the
// import writes anything: a rule broken on the last page must not be found after the first pages are in.

export interface ArchiveLimits {
  /** BUILD_MAX_BYTES: a build the API would not take is not taken from an archive either. */
  buildMaxBytes: number
}

/** Each record's fields that must be unique within the organization, as the database (or the import) compares them. */
const UNIQUE: Partial<Record<Resource, Array<{ field: string; label: string; fold?: boolean }>>> = {
  collaborators: [{ field: 'email', label: 'email', fold: true }],
  apps: [{ field: 'slug', label: 'slug' }],
  devices: [{ field: 'serialNumber', label: 'serial number' }],
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
  // One set per resource and field, found once per page rather than by a key built for every record: this pass
  // reads every record of the archive before the import writes any, so its cost is paid on top of the writing.
  const checksOf = (resource: Resource) =>
    [{ field: 'id', label: 'id' }, ...(UNIQUE[resource] ?? [])].map((rule) => ({
      ...rule,
      values: new Set<string>(),
    }))
  const checks = new Map<Resource, ReturnType<typeof checksOf>>()
  return readArchive(path, {
    manifest(manifest) {
      files = new Map(manifest.files.map((file) => [file.name, file]))
    },
    async records(resource, records) {
      let rules = checks.get(resource)
      if (!rules) checks.set(resource, (rules = checksOf(resource)))
      for (const record of records as Array<Record<string, unknown>>) {
        for (const { field, label, fold, values } of rules) {
          const raw = String(record[field])
          const value = fold ? raw.toLowerCase() : raw
          if (values.has(value))
            throw new ArchiveRefused(`two ${resource} records have the ${label} ${JSON.stringify(value)}`)
          values.add(value)
        }
        if (resource === 'apps') appIds.add(String(record.id))
        if (resource === 'builds') {
          const build = record as unknown as BuildRecord
          checkBuild(build, files, limits)
          buildApps.push({ id: build.id, applicationId: build.applicationId })
        }
      }
    },
  }).then((manifest) => {
    for (const build of buildApps)
      if (!appIds.has(build.applicationId))
        throw new ArchiveRefused(
          `build ${build.id} belongs to app ${build.applicationId}, which is not in apps.ndjson`,
        )
    return manifest
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
