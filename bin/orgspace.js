#!/usr/bin/env node
// orgspace's command line. The service is written in TypeScript and run through tsx, so no build step
// stands between `npm ci` and a working CLI.
import { register } from 'tsx/esm/api'

register()
await import('../src/cli.ts')
