using Microsoft.EntityFrameworkCore;
using TenantPortal.Data;
using TenantPortal.Tenancy;

namespace TenantPortal.Features.AuditLog;

/// <summary>Reads the active organization's audit log (row-level security decides what is visible) and verifies its chain.</summary>
public sealed class AuditLogService(IDbContextFactory<PortalDbContext> dbFactory, TenantContext tenant)
{
    public const int PageSize = 50;

    /// <summary>The chain of platform events (sign-ins), which belong to no organization.</summary>
    public static readonly Guid PlatformChain = Guid.Empty;

    /// <summary>Events of the active organization matching the filter, newest first, older than <paramref name="olderThan"/> (a seq).</summary>
    public async Task<AuditPage> PageAsync(AuditFilter filter, long? olderThan = null, Guid? chain = null, CancellationToken cancellationToken = default)
    {
        await using var db = await ChainReaderAsync(chain, cancellationToken);
        var query = Filtered(db, filter, chain);
        if (olderThan is long before)
        {
            query = query.Where(e => e.Seq < before);
        }

        var events = await query.OrderByDescending(e => e.Seq).Take(PageSize + 1).AsNoTracking().ToListAsync(cancellationToken);
        var hasOlder = events.Count > PageSize;
        if (hasOlder)
        {
            events.RemoveAt(events.Count - 1);
        }

        return new AuditPage(events, events.Count > 0 ? events[^1].Seq : null, hasOlder);
    }

    /// <summary>How many events match the filter (announced before an export streams, for its progress bar).</summary>
    public async Task<int> CountAsync(AuditFilter filter, Guid? chain = null, CancellationToken cancellationToken = default)
    {
        await using var db = await ChainReaderAsync(chain, cancellationToken);
        return await Filtered(db, filter, chain).CountAsync(cancellationToken);
    }

    /// <summary>Every event matching the filter, newest first, read row by row from the database (constant memory).</summary>
    public async IAsyncEnumerable<AuditEvent> StreamAsync(AuditFilter filter, Guid? chain = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var db = await ChainReaderAsync(chain, cancellationToken);
        await foreach (var e in Filtered(db, filter, chain).OrderByDescending(e => e.Seq).AsNoTracking().AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            yield return e;
        }
    }

    /// <summary>
    /// Events per day and action for the filter (the chart); days in UTC. Read from the chain's daily counts when the
    /// filter asks only for days, actions and an entity type (as the viewer opens), so the chart costs the days shown,
    /// not the events; any other filter counts the matching events themselves.
    /// </summary>
    public async Task<List<AuditActivity>> ActivityAsync(AuditFilter filter, Guid? chain = null, CancellationToken cancellationToken = default)
    {
        await using var db = await ChainReaderAsync(chain, cancellationToken);
        var rows = CountsSuffice(filter)
            ? await DailyCounts(db, filter, chain ?? tenant.RequireOrg())
                .GroupBy(c => new { c.Day, c.Action })
                .Select(g => new { g.Key.Day, g.Key.Action, Count = g.Sum(c => c.Events) })
                .ToListAsync(cancellationToken)
            : await Filtered(db, filter, chain)
                .GroupBy(e => new { Day = AuditSqlFunctions.UtcDay(e.OccurredAt), e.Action })
                .Select(g => new { g.Key.Day, g.Key.Action, Count = (long)g.Count() })
                .ToListAsync(cancellationToken);
        return rows.Select(r => new AuditActivity(r.Day, r.Action, (int)r.Count)).OrderBy(r => r.Day).ThenBy(r => r.Action, StringComparer.Ordinal).ToList();
    }

    /// <summary>Whether the chain's daily counts answer the filter: it names nothing finer than days, actions and an entity type.</summary>
    internal static bool CountsSuffice(AuditFilter filter) =>
        string.IsNullOrEmpty(filter.ActorType) && filter.Actor is null && string.IsNullOrWhiteSpace(filter.EntityId)
        && string.IsNullOrEmpty(filter.Status) && string.IsNullOrWhiteSpace(filter.Text);

    /// <summary>The chain's daily counts (audit_daily_counts, kept with each event) for the filter's days, actions and entity type.</summary>
    private static IQueryable<AuditDailyCount> DailyCounts(PortalDbContext db, AuditFilter filter, Guid chainKey)
    {
        filter.ThrowIfProblem();

        var counts = db.Database.SqlQuery<AuditDailyCount>($"""
            SELECT chain_key AS "ChainKey", day AS "Day", action AS "Action", entity_type AS "EntityType", events AS "Events" FROM audit_daily_counts
            """).Where(c => c.ChainKey == chainKey);
        if (filter.From is DateTime from)
        {
            var first = DateOnly.FromDateTime(from);
            counts = counts.Where(c => c.Day >= first);
        }

        if (filter.To is DateTime to)
        {
            var last = DateOnly.FromDateTime(to);
            counts = counts.Where(c => c.Day <= last);
        }

        if (filter.Actions.Count > 0)
        {
            var actions = filter.Actions.ToList();
            counts = counts.Where(c => actions.Contains(c.Action));
        }

        if (!string.IsNullOrWhiteSpace(filter.EntityType))
        {
            counts = counts.Where(c => c.EntityType == filter.EntityType);
        }

        return counts;
    }

    /// <summary>Records an export of the log (what was asked for and how many rows went out).</summary>
    public async Task RecordExportAsync(AuditFilter filter, string format, long rows, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var details = System.Text.Json.JsonSerializer.Serialize(new { format, rows, filter });
        await db.Database.ExecuteSqlAsync($"SELECT app.record_event('export', 'audit_events', NULL, {details}::jsonb)", cancellationToken);
    }

    /// <summary>
    /// A context reading one chain: the active organization's by default (row-level security shows its owners and
    /// admins that chain); another one named by a platform admin is chosen on the connection first (app.view_audit_chain
    /// refuses everyone else), since the audit policy admits one chain at a time.
    /// </summary>
    private async Task<PortalDbContext> ChainReaderAsync(Guid? chain, CancellationToken cancellationToken)
    {
        var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (chain is Guid chosen)
        {
            try
            {
                await db.Database.OpenConnectionAsync(cancellationToken);
                await db.Database.ExecuteSqlAsync($"SELECT app.view_audit_chain({chosen})", cancellationToken);
            }
            catch
            {
                await db.DisposeAsync();
                throw;
            }
        }

        return db;
    }

    /// <summary>
    /// One chain of the log: the active organization's by default; platform admins may name another organization's,
    /// or <see cref="PlatformChain"/> for sign-ins (row-level security refuses everyone else).
    /// </summary>
    private IQueryable<AuditEvent> Filtered(PortalDbContext db, AuditFilter filter, Guid? chain)
    {
        var chainKey = chain ?? tenant.RequireOrg();
        filter.ThrowIfProblem();

        var chainEvents = db.AuditEvents.Where(e => e.ChainKey == chainKey);
        var query = chainEvents;

        // Times never go back along a chain (app.append_audit_event), so dates are a range of seq: from the first event
        // at or after the start to the last before the end, two probes of the time index. The other filters then walk
        // that range in the order pages are read. (The dates themselves stay out of the query: repeated, they would
        // have the planner multiply two estimates of the same range and sort every match instead of walking it.)
        // No event on either side of a bound makes it NULL, and the page empty, as it should be.
        if (filter.From is DateTime from)
        {
            var start = new DateTimeOffset(DateTime.SpecifyKind(from.Date, DateTimeKind.Utc));
            query = query.Where(e => e.Seq >= chainEvents.Where(first => first.OccurredAt >= start)
                .OrderBy(first => first.OccurredAt).ThenBy(first => first.Seq).Select(first => (long?)first.Seq).FirstOrDefault());
        }

        if (filter.To is DateTime to)
        {
            var end = new DateTimeOffset(DateTime.SpecifyKind(to.Date.AddDays(1), DateTimeKind.Utc));
            query = query.Where(e => e.Seq <= chainEvents.Where(last => last.OccurredAt < end)
                .OrderByDescending(last => last.OccurredAt).ThenByDescending(last => last.Seq).Select(last => (long?)last.Seq).FirstOrDefault());
        }

        if (!string.IsNullOrEmpty(filter.ActorType))
        {
            query = query.Where(e => e.ActorType == filter.ActorType);
        }

        if (filter.Actor is Guid actor)
        {
            query = query.Where(e => e.ActorId == actor || e.ApiKeyId == actor);
        }

        if (filter.Actions.Count > 0)
        {
            var actions = filter.Actions.ToList();
            query = query.Where(e => actions.Contains(e.Action));
        }

        if (!string.IsNullOrWhiteSpace(filter.EntityType))
        {
            query = query.Where(e => e.EntityType == filter.EntityType);
        }

        if (!string.IsNullOrWhiteSpace(filter.EntityId))
        {
            var entityId = filter.EntityId.Trim();
            query = query.Where(e => e.EntityId == entityId);
        }

        if (!string.IsNullOrEmpty(filter.Status))
        {
            query = query.Where(e => e.Status == filter.Status);
        }

        if (!string.IsNullOrWhiteSpace(filter.Text))
        {
            // A plain substring of the details' text (ILIKE wildcards typed by the user are taken literally), found
            // through the trigram index by app.audit_text_matches within the chain the context reads.
            var pattern = SqlText.ContainsPattern(filter.Text);
            var matches = db.Database.SqlQuery<long>($"SELECT seq AS \"Value\" FROM app.audit_text_matches({pattern}) AS seq");
            query = query.Where(e => matches.Contains(e.Seq));
        }

        return query;
    }

    /// <summary>The actions and entity types present in the organization's log, for the filter lists.</summary>
    public async Task<(List<string> Actions, List<string> EntityTypes)> VocabularyAsync(Guid? chain = null, CancellationToken cancellationToken = default)
    {
        var chainKey = chain ?? tenant.RequireOrg();
        await using var db = await ChainReaderAsync(chain, cancellationToken);
        var counts = DailyCounts(db, new AuditFilter(), chainKey);
        var actions = await counts.Select(c => c.Action).Distinct().OrderBy(a => a).ToListAsync(cancellationToken);
        var entities = await counts.Where(c => c.EntityType != "").Select(c => c.EntityType).Distinct().OrderBy(a => a).ToListAsync(cancellationToken);
        return (actions, entities);
    }

    /// <summary>Walks the organization's chain in the database and records that it did.</summary>
    public async Task<AuditVerification> VerifyAsync(Guid? chain = null, CancellationToken cancellationToken = default)
    {
        var chainKey = chain ?? tenant.RequireOrg();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var result = await db.Database.SqlQuery<AuditVerification>($"""
            SELECT ok AS "Ok", events AS "Events", head_hash AS "HeadHash", broken_seq AS "BrokenSeq", problem AS "Problem"
            FROM app.verify_audit_chain({chainKey})
            """).SingleAsync(cancellationToken);
        var details = System.Text.Json.JsonSerializer.Serialize(new { chain = chainKey, ok = result.Ok, events = result.Events, head = result.HeadHash, broken_seq = result.BrokenSeq });
        await db.Database.ExecuteSqlAsync($"SELECT app.record_event('chain_verify', 'audit_events', NULL, {details}::jsonb, {(result.Ok ? "success" : "failure")}, {result.Problem})", cancellationToken);
        return result;
    }

    /// <summary>The people (and agents) who acted in the chain, named where they are users, for the actor filter.</summary>
    public async Task<List<AuditActor>> ActorsAsync(Guid? chain = null, CancellationToken cancellationToken = default)
    {
        var chainKey = chain ?? tenant.RequireOrg();
        await using var db = await ChainReaderAsync(chain, cancellationToken);
        var ids = await DistinctInChainAsync(db, chainKey, "actor_id", cancellationToken);
        // The keys agents acted with too (the filter keeps what an agent did with one key); a platform admin reading
        // another organization's chain sees none of them.
        var keys = chain is null || chain == tenant.OrgId ? await DistinctInChainAsync(db, chainKey, "api_key_id", cancellationToken) : [];
        var names = await ActorNamesAsync([.. ids, .. keys], cancellationToken);
        return ids.Concat(keys).Select(id => new AuditActor(id, names.GetValueOrDefault(id) ?? id.ToString()))
            .OrderBy(a => a.Name, StringComparer.CurrentCultureIgnoreCase).ToList();
    }

    /// <summary>
    /// The distinct values of an actor column in one chain, each found by one step along that column's
    /// (chain_key, column) index instead of by reading every event: as many index probes as there are values.
    /// </summary>
    private static Task<List<Guid>> DistinctInChainAsync(PortalDbContext db, Guid chainKey, string column, CancellationToken cancellationToken)
    {
        // The column is one of two names written in this file, never input.
#pragma warning disable EF1002
        return db.Database.SqlQueryRaw<Guid>($"""
            WITH RECURSIVE found (id) AS (
                (SELECT {column} FROM audit_events WHERE chain_key = @chain AND {column} IS NOT NULL ORDER BY {column} LIMIT 1)
                UNION ALL
                SELECT (SELECT e.{column} FROM audit_events e WHERE e.chain_key = @chain AND e.{column} > f.id ORDER BY e.{column} LIMIT 1)
                FROM found f WHERE f.id IS NOT NULL)
            SELECT id AS "Value" FROM found WHERE id IS NOT NULL
            """, new Npgsql.NpgsqlParameter("chain", chainKey)).ToListAsync(cancellationToken);
#pragma warning restore EF1002
    }

    /// <summary>Every organization, for platform admins choosing a chain to read.</summary>
    public async Task<List<(Guid Id, string Name)>> PlatformOrganizationsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Database.SqlQuery<PlatformOrganization>($"SELECT id AS \"Id\", name AS \"Name\" FROM app.platform_organizations()").ToListAsync(cancellationToken);
        return rows.Select(r => (r.Id, r.Name)).ToList();
    }

    private sealed record PlatformOrganization(Guid Id, string Name);

    /// <summary>
    /// Names for the grid and the actor filter: people by display name or email, agents by name, and API keys as
    /// "greeter · key main" (agents and keys of the active organization only).
    /// </summary>
    public async Task<Dictionary<Guid, string>> ActorNamesAsync(IEnumerable<Guid> ids, CancellationToken cancellationToken = default)
    {
        var wanted = ids.Distinct().ToList();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var names = await db.Users.Where(u => wanted.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.DisplayName ?? u.Email ?? u.Id.ToString(), cancellationToken);
        var rest = wanted.Where(id => !names.ContainsKey(id)).ToList();
        if (rest.Count == 0 || tenant.OrgId is null)
        {
            return names;
        }

        foreach (var agent in await db.Agents.Where(a => rest.Contains(a.Id)).Select(a => new { a.Id, a.Name }).ToListAsync(cancellationToken))
        {
            names[agent.Id] = agent.Name;
        }

        foreach (var key in await db.ApiKeys.Where(k => rest.Contains(k.Id))
                     .Select(k => new { k.Id, k.Name, Agent = db.Agents.Where(a => a.Id == k.AgentId).Select(a => a.Name).Single() })
                     .ToListAsync(cancellationToken))
        {
            names[key.Id] = $"{key.Agent} · key {key.Name}";
        }

        return names;
    }
}

/// <summary>A row of audit_daily_counts: how many events of an action and entity type a chain has on a UTC day.</summary>
internal sealed class AuditDailyCount
{
    public Guid ChainKey { get; init; }

    public DateOnly Day { get; init; }

    public string Action { get; init; } = "";

    public string EntityType { get; init; } = "";

    public long Events { get; init; }
}
