import type { Config } from '../config.js'
import type { ObjectStorage, StorageSettings } from './storage.js'

type StorageConfig = Pick<Config, 'STORAGE_URL' | 'S3_ENDPOINT' | 'S3_REGION' | 'S3_FORCE_PATH_STYLE'>

export function storageSettings(config: StorageConfig): StorageSettings {
  const url = config.STORAGE_URL
  if (url.startsWith('file:')) return { kind: 'file', root: url.replace(/^file:(\/\/)?/, '') }
  const [bucket = '', ...rest] = url.slice('s3://'.length).split('/')
  return {
    kind: 's3',
    bucket,
    prefix: rest.filter((part) => part !== '').join('/'),
    endpoint: config.S3_ENDPOINT,
    region: config.S3_REGION,
    forcePathStyle: config.S3_FORCE_PATH_STYLE === 'true',
  }
}

/** Opens the storage the settings describe; the folder of a filesystem storage is created. */
export async function openStorage(settings: StorageSettings): Promise<ObjectStorage> {
  if (settings.kind === 'file') {
    const { FileStorage } = await import('./filesystem.js')
    return FileStorage.open(settings.root)
  }
  // Loaded only when used: the AWS SDK is large, and most installations keep builds on disk.
  const { S3Storage } = await import('./s3.js')
  return new S3Storage(settings)
}
