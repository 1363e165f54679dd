import type { TestProject } from 'vitest/node'
import { startCluster, type TestCluster } from './pg-cluster.js'

declare module 'vitest' {
  export interface ProvidedContext {
    pg: {
      host: string
      port: number
      user: string
      password?: string
      logPath: string
      dataDir: string
      binDir: string
      osUser: string | null
    }
  }
}

let cluster: TestCluster | undefined

export async function setup(project: TestProject): Promise<void> {
  const url = process.env.PG_TEST_URL
  if (url) {
    const u = new URL(url)
    project.provide('pg', {
      host: u.hostname,
      port: Number(u.port || 5432),
      user: decodeURIComponent(u.username || 'postgres'),
      password: u.password ? decodeURIComponent(u.password) : undefined,
      logPath: '',
      dataDir: '',
      binDir: '',
      osUser: null,
    })
    return
  }
  cluster = await startCluster()
  const { stop: _stop, ...info } = cluster
  project.provide('pg', info)
  // A crashed or interrupted run must not leave the server behind.
  process.once('exit', () => cluster?.stop())
}

export async function teardown(): Promise<void> {
  cluster?.stop()
  cluster = undefined
}
