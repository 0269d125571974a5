// A typed flowlens client: the documents of src/queries, their types
// generated from the service's schema (npm run codegen), sent with
// graphql-request. Every result below is typed by the document that asked
// for it: a field the document does not select does not type-check.
import { ClientError, GraphQLClient } from 'graphql-request';
import {
  FlowDashboardDocument,
  MyDashboardDocument,
  TeamDashboardDocument,
  TeamSessionsDocument,
  type FlowDashboardQuery,
  type MyDashboardQuery,
  type Period,
  type SessionFilter,
  type SessionOrder,
  type TeamDashboardQuery,
  type TeamSessionsQuery,
} from './generated/graphql.ts';

export type TeamDashboard = NonNullable<TeamDashboardQuery['teamAnalytics']>;
export type MyDashboard = MyDashboardQuery;
export type FlowDashboard = NonNullable<FlowDashboardQuery['flowAnalytics']>;
export type SessionsPage = NonNullable<TeamSessionsQuery['teamAnalytics']>['sessions'];
export type Session = SessionsPage['edges'][number]['node'];

/** The flowlens error codes of API.md (extensions.code). */
export type ErrorCode = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'BAD_USER_INPUT' | 'INTERNAL_SERVER_ERROR' | string;

/** A SessionFilter with the criteria not given as null (not given). */
export function sessionFilter(f: Partial<SessionFilter>): SessionFilter {
  return {
    treeId: null,
    engineerId: null,
    outcomes: null,
    completed: null,
    visitedNode: null,
    droppedOffAt: null,
    minDurationMinutes: null,
    maxDurationMinutes: null,
    maxCsat: null,
    ...f,
  };
}

/** A GraphQL error answer of flowlens, with its code. */
export class FlowlensError extends Error {
  constructor(
    message: string,
    readonly code: ErrorCode,
  ) {
    super(message);
  }
}

/** A client of the flowlens API at baseUrl (its /query endpoint), signed in with token. */
export class FlowlensClient {
  private readonly gql: GraphQLClient;

  constructor(baseUrl: string, token: string) {
    this.gql = new GraphQLClient(baseUrl.replace(/\/+$/, '') + '/query', {
      headers: { Authorization: `Bearer ${token}` },
    });
  }

  /** The team dashboard (team admins only; others get FORBIDDEN). */
  async teamDashboard(period: Period = 'LAST_30_DAYS', engineerId?: string): Promise<TeamDashboard> {
    const data = await this.run(() => this.gql.request(TeamDashboardDocument, { period, engineerId: engineerId ?? null, timeZone: 'UTC' }));
    return data.teamAnalytics!;
  }

  /** The signed-in user and their own figures. */
  async myDashboard(period: Period = 'LAST_30_DAYS'): Promise<MyDashboard> {
    return this.run(() => this.gql.request(MyDashboardDocument, { period, timeZone: 'UTC' }));
  }

  /** One flow in depth; a flow of another account is NOT_FOUND. */
  async flowDashboard(treeId: string, period: Period = 'LAST_30_DAYS'): Promise<FlowDashboard> {
    const data = await this.run(() => this.gql.request(FlowDashboardDocument, { treeId, period }));
    return data.flowAnalytics!;
  }

  /** One page of the team's sessions (team admins only), after the cursor `after` when given. */
  async teamSessionsPage(
    opts: { period?: Period; filter?: Partial<SessionFilter>; orderBy?: SessionOrder; first?: number; after?: string | null } = {},
  ): Promise<SessionsPage> {
    const data = await this.run(() =>
      this.gql.request(TeamSessionsDocument, {
        period: opts.period ?? 'LAST_30_DAYS',
        filter: opts.filter ? sessionFilter(opts.filter) : null,
        orderBy: opts.orderBy ?? 'NEWEST',
        first: opts.first ?? 50,
        after: opts.after ?? null,
      }),
    );
    return data.teamAnalytics!.sessions;
  }

  /** Every session of the team's list, page after page (each page continues after the previous one's endCursor). */
  async *teamSessions(opts: { period?: Period; filter?: Partial<SessionFilter>; orderBy?: SessionOrder; first?: number } = {}): AsyncGenerator<Session> {
    let after: string | null = null;
    for (;;) {
      const page: SessionsPage = await this.teamSessionsPage({ ...opts, after });
      for (const edge of page.edges) yield edge.node;
      if (!page.pageInfo.hasNextPage) return;
      after = page.pageInfo.endCursor!;
    }
  }

  // run turns a GraphQL error answer into a FlowlensError with its code.
  private async run<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof ClientError && err.response.errors?.length) {
        const first = err.response.errors[0]!;
        throw new FlowlensError(first.message, String(first.extensions?.code ?? 'UNKNOWN'));
      }
      throw err;
    }
  }
}
