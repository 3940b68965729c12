import { describe, expect, it } from 'vitest'
import { AUDIT_ACTIONS } from '../src/contract/audit.js'
import type { AuditDetails, AuditEvent } from '../src/contract/index.js'
import { ACTION_LABELS, describeEvent } from '../web/src/history.js'

// The dashboard's history sentences (web/src/history.ts), one per kind of event, written out by hand here.

const ana = { id: 'a'.repeat(24), email: 'ana@example.test', name: 'Ana' }

function event(action: string, details: AuditDetails | null, actor: AuditEvent['actor'] = ana): AuditEvent {
  return { id: 'e'.repeat(24), action, entity: 'x', entityId: 'f'.repeat(24), actor, details, createdAt: '' }
}

describe('history sentences', () => {
  it('say who did what to which entity, as it was then', () => {
    const cases: [string, AuditDetails, string][] = [
      ['organization.create', { name: 'Acme', slug: 'acme' }, 'Ana created the workspace Acme'],
      [
        'organization.update',
        { name: 'Acme 2', changes: { name: { from: 'Acme', to: 'Acme 2' } } },
        'Ana renamed the workspace from “Acme” to “Acme 2”',
      ],
      [
        'organization.update',
        {
          name: 'Acme',
          changes: {
            slug: { from: 'acme', to: 'acme-co' },
            webSiteUrl: { from: null, to: 'https://a.test' },
          },
        },
        "Ana changed the workspace's slug from “acme” to “acme-co” and web site from nothing to “https://a.test”",
      ],
      [
        'organization.ownerChange',
        {
          email: 'bob@example.test',
          name: 'Bob',
          changes: { owner: { from: 'ana@example.test', to: 'bob@example.test' } },
        },
        'Ana transferred ownership to Bob',
      ],
      ['organization.export', { name: 'Acme' }, 'Ana exported the workspace'],
      [
        'organization.import',
        { name: 'Acme', archivedAt: '2026-03-01T10:00:00.000Z', rows: 1234 },
        'Ana imported the workspace from an archive of 2026-03-01, 1234 rows',
      ],
      [
        'organization.retention',
        { name: 'Acme', builds: 12, buildsDays: 90, events: 3400, auditDays: 90 },
        'Retention removed 12 builds and 3,400 history events older than 90 days',
      ],
      [
        'collaborator.create',
        { email: 'bob@example.test', role: 'editor' },
        'Ana invited bob@example.test as editor',
      ],
      [
        'collaborator.update',
        { email: 'bob@example.test', name: 'Bob', changes: { role: { from: 'admin', to: 'viewer' } } },
        "Ana changed Bob's role from admin to viewer",
      ],
      [
        'collaborator.remove',
        { email: 'chris@example.test', name: 'Chris', role: 'viewer' },
        'Ana removed Chris (viewer)',
      ],
      ['app.create', { name: 'Field', slug: 'field' }, 'Ana created app Field'],
      [
        'app.update',
        {
          name: 'Field Pro',
          changes: { name: { from: 'Field', to: 'Field Pro' }, description: { from: '', to: 'x' } },
        },
        'Ana renamed app “Field” to “Field Pro” and changed its description',
      ],
      ['app.remove', { name: 'Field', slug: 'field' }, 'Ana deleted app Field'],
      [
        'build.upload',
        { fileName: 'field.apk', version: '2.1', app: 'Field' },
        'Ana uploaded build field.apk 2.1 of Field',
      ],
      ['build.remove', { fileName: 'kiosk.ipa', app: 'Kiosk' }, 'Ana deleted build kiosk.ipa of Kiosk'],
      ['app_token.create', { name: 'CI', app: 'Field' }, 'Ana created app token CI for Field'],
      ['app_token.remove', { name: 'CI', app: 'Field' }, 'Ana revoked app token CI of Field'],
      [
        'device.enroll',
        { serialNumber: 'SN-123', platform: 'android' },
        'Ana enrolled device SN-123 (android)',
      ],
      [
        'device.unenroll',
        { serialNumber: 'SN-9', platform: 'apple', name: 'Lobby' },
        'Ana unenrolled device Lobby (SN-9, apple)',
      ],
      ['subscription.create', { plan: 'business', status: 'active' }, 'Ana started a business subscription'],
      [
        'subscription.cancel',
        { plan: 'business', changes: { status: { from: 'active', to: 'canceled' } } },
        'Ana canceled the business subscription',
      ],
      ['webhook.create', { url: 'https://hooks.test' }, 'Ana added a webhook to https://hooks.test'],
      [
        'webhook.update',
        { url: 'https://hooks.test', changes: { enabled: { from: true, to: false } } },
        'Ana disabled the webhook to https://hooks.test',
      ],
      ['webhook.remove', { url: 'https://hooks.test' }, 'Ana removed the webhook to https://hooks.test'],
      [
        'webhook.delivery.retry',
        { url: 'https://hooks.test' },
        'Ana retried a delivery to https://hooks.test',
      ],
    ]
    for (const [action, details, sentence] of cases)
      expect(describeEvent(event(action, details)), action).toBe(sentence)
    // Every action the server records has a sentence here.
    expect(new Set(cases.map(([action]) => action))).toEqual(new Set(AUDIT_ACTIONS))
  })

  it('say what retention removed, each by its own age, and changes of the policy', () => {
    const retention = (details: AuditDetails) => describeEvent(event('organization.retention', details, null))
    expect(retention({ builds: 1, buildsDays: 30, events: 2500, auditDays: 365 })).toBe(
      'Retention removed 1 build older than 30 days and 2,500 history events older than 365 days',
    )
    expect(retention({ events: 1, auditDays: 1 })).toBe('Retention removed 1 history event older than 1 day')
    expect(retention({ builds: 4, buildsDays: 0 })).toBe('Retention removed 4 builds older than 0 days')
    const changed = {
      name: 'Acme',
      changes: {
        'retention.auditDays': { from: null, to: 90 },
        'retention.buildsKeepLatest': { from: 5, to: 3 },
      },
    }
    expect(describeEvent(event('organization.update', changed))).toBe(
      "Ana changed the workspace's history retention (days) from nothing to 90 and builds kept per app from 5 to 3",
    )
  })

  it('name the actor by email when they have no name', () => {
    const actor = { id: ana.id, email: 'ana@example.test', name: '' }
    expect(describeEvent(event('app.create', { name: 'Kiosk' }, actor))).toBe(
      'ana@example.test created app Kiosk',
    )
  })

  it('fall back to the action and id for events recorded before details were kept', () => {
    expect(describeEvent(event('device.enroll', null))).toBe(`Ana: Device enrolled (x ${'f'.repeat(24)})`)
    expect(describeEvent(event('something.new', {}))).toBe(`Ana: something.new (x ${'f'.repeat(24)})`)
    expect(Object.keys(ACTION_LABELS).sort()).toEqual([...AUDIT_ACTIONS].sort())
  })
})
