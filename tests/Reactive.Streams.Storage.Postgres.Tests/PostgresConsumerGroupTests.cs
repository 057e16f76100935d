using System.Text;
using Npgsql;
using Reactive.Streams.Storage.Tests;

namespace Reactive.Streams.Storage.Postgres.Tests;

/// <summary>
/// The consumer-group conformance suite on PostgreSQL: each log instance is its own connection pool. Plus what is
/// PostgreSQL's own: frames handed out are kept as one lease row per claim, not one row per frame.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresConsumerGroupTests : ConsumerGroupConformanceTests
{
    private readonly PostgresServerFixture _server;

    public PostgresConsumerGroupTests(PostgresServerFixture server)
    {
        _server = server;
    }

    public override Task InitializeAsync()
    {
        _server.EnsureRunning();
        return Task.CompletedTask;
    }

    protected override async ValueTask<IConsumerGroupLog> OpenLogAsync(StreamLogOptions options) =>
        await PostgresStreamLog.OpenAsync(_server.ConnectionString, new PostgresStreamLogOptions(options));

    /// <summary>The group's lease rows in id order: each one's ids (sorted), holder and delivery count.</summary>
    private async Task<List<(StreamId[] Ids, string Consumer, long Deliveries)>> LeasesAsync(string stream, string group)
    {
        await using var connection = new NpgsqlConnection(_server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT ids_ms, ids_seq, consumer, deliveries FROM rs_group_leases WHERE stream = $1 AND grp = $2 ORDER BY last_ms, last_seq", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = group });
        var leases = new List<(StreamId[], string, long)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var ms = reader.GetFieldValue<long[]>(0);
            var seq = reader.GetFieldValue<long[]>(1);
            leases.Add((ms.Zip(seq, (m, s) => new StreamId(m, s)).Order().ToArray(), reader.GetString(2), reader.GetInt64(3)));
        }

        return leases;
    }

    [Fact]
    public async Task After_a_server_restart_the_first_claim_and_own_pending_claim_go_through_once()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync((IStreamLog)log, stream, 4);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        Assert.Equal([ids[0]], (await log.ClaimAsync(stream, "g", "a", 1, ClaimTimeout)).Frames.Select(f => f.Frame.Id));

        // The restart ended the pooled connection: the claim meets the server's 57P01 before anything ran, so it is sent
        // again instead of failing a member's pull.
        await _server.RestartAsync();
        Assert.Equal([ids[1]], (await log.ClaimAsync(stream, "g", "a", 1, ClaimTimeout)).Frames.Select(f => f.Frame.Id));

        await _server.RestartAsync();
        var own = await log.ClaimOwnPendingAsync(stream, "g", "a", StreamId.Min, 10);

        // Each ran once: the frames were handed out once by the claims and once more by taking them back.
        Assert.Equal(ids[..2], own.Frames.Select(f => f.Frame.Id));
        Assert.Equal([2L, 2L], own.Frames.Select(f => f.DeliveryCount));
        Assert.Equal([(ids[0], "a", 2L), (ids[1], "a", 2L)], (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => (p.Id, p.Consumer, p.DeliveryCount)));
    }

    [Fact]
    public async Task A_claim_whose_connection_breaks_after_it_was_sent_fails_and_is_not_retried()
    {
        await using var proxy = new CuttingProxy(_server.Port);
        var throughProxy = new NpgsqlConnectionStringBuilder(_server.ConnectionString) { Port = proxy.Port }.ConnectionString;
        var log = Track(await PostgresStreamLog.OpenAsync(throughProxy, new PostgresStreamLogOptions { TimeProvider = Clock }));
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 3);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);

        proxy.ArmCut();
        var error = await Assert.ThrowsAnyAsync<NpgsqlException>(() => log.ClaimAsync(stream, "g", "a", 2, ClaimTimeout).AsTask());

        // The server committed the claim; sending it again would have handed the member two more frames.
        Assert.IsNotType<PostgresException>(error);
        Assert.Equal(1, proxy.Cuts);
        Assert.Equal([(ids[0], "a", 1L), (ids[1], "a", 1L)], (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => (p.Id, p.Consumer, p.DeliveryCount)));
    }

    [Fact]
    public async Task A_claim_writes_one_lease_row_and_acknowledging_its_frames_deletes_it()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 150);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);

        await log.ClaimAsync(stream, "g", "a", 100, ClaimTimeout);
        await log.ClaimAsync(stream, "g", "b", 100, ClaimTimeout);
        Assert.Equal(new[] { (100, "a", 1L), (50, "b", 1L) }, (await LeasesAsync(stream, "g")).Select(l => (l.Ids.Length, l.Consumer, l.Deliveries)));

        Assert.Equal(100, await log.AcknowledgeAsync(stream, "g", ids[..100]));
        Assert.Equal(2, await log.AcknowledgeAsync(stream, "g", [ids[120], ids[101]]));
        var left = Assert.Single(await LeasesAsync(stream, "g"));
        Assert.Equal(ids[100..].Except([ids[101], ids[120]]), left.Ids);

        Assert.Equal(48, await log.AcknowledgeAsync(stream, "g", ids[100..]));
        Assert.Empty(await LeasesAsync(stream, "g"));
    }

    [Fact]
    public async Task A_reclaim_split_by_the_limit_leaves_the_rest_in_a_lease_of_the_old_holder()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 10);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await log.ClaimAsync(stream, "g", "a", 10, ClaimTimeout);
        await log.AcknowledgeAsync(stream, "g", [ids[2]]);
        await PassAsync(ClaimTimeout);

        await log.ClaimAsync(stream, "g", "b", 4, ClaimTimeout);

        Assert.Equal(
            new[] { ((StreamId[])[ids[0], ids[1], ids[3], ids[4]], "b", 2L), (ids[5..], "a", 1L) },
            (await LeasesAsync(stream, "g")).Select(l => (l.Ids, l.Consumer, l.Deliveries)),
            new LeaseComparer());
    }

    [Fact]
    public async Task Frames_trimmed_while_pending_are_dropped_from_their_leases_when_reclaimed()
    {
        var retention = new LiveRetentionOptions { Alpha = 1, Ttl = TimeSpan.FromSeconds(1), Floor = 2, Ceiling = 2 };
        var log = Track(await OpenLogAsync(new StreamLogOptions { TimeProvider = Clock, LiveRetention = retention }));
        var stream = NewStream();
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        var l0 = (await log.AppendAsync(stream, "l0"u8.ToArray(), AppendMode.BestEffortLive)).Id;
        var l1 = (await log.AppendAsync(stream, "l1"u8.ToArray(), AppendMode.BestEffortLive)).Id;
        Assert.Equal([l0], (await log.ClaimAsync(stream, "g", "dead", 1, ClaimTimeout)).Frames.Select(f => f.Frame.Id));
        var durable = (await log.AppendAsync(stream, "d"u8.ToArray(), AppendMode.Durable)).Id;
        Assert.Equal([l1, durable], (await log.ClaimAsync(stream, "g", "dead", 10, ClaimTimeout)).Frames.Select(f => f.Frame.Id));

        // The stream keeps two best-effort frames: two more trim both pending ones, one lease's only frame.
        var l2 = (await log.AppendAsync(stream, "l2"u8.ToArray(), AppendMode.BestEffortLive)).Id;
        var l3 = (await log.AppendAsync(stream, "l3"u8.ToArray(), AppendMode.BestEffortLive)).Id;
        Assert.Equal(3, (await log.ReadGroupAsync(stream, "g"))!.PendingCount); // counted until a reclaim drops them
        await PassAsync(ClaimTimeout);
        var claim = await log.ClaimAsync(stream, "g", "live", 10, ClaimTimeout);

        Assert.Equal([durable, l2, l3], claim.Frames.Select(f => f.Frame.Id));
        Assert.Equal(new[] { 2L, 1L, 1L }, claim.Frames.Select(f => f.DeliveryCount));
        Assert.Equal(
            new[] { ((StreamId[])[durable], "live", 2L), ((StreamId[])[l2, l3], "live", 1L) },
            (await LeasesAsync(stream, "g")).Select(l => (l.Ids, l.Consumer, l.Deliveries)),
            new LeaseComparer());
        Assert.Equal(3, (await log.ReadGroupAsync(stream, "g"))!.PendingCount);
    }

    [Fact]
    public async Task A_member_taking_its_frames_back_cuts_its_lease_at_the_cursor_and_the_limit()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 6);
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await log.ClaimAsync(stream, "g", "a", 6, ClaimTimeout);
        await log.AcknowledgeAsync(stream, "g", [ids[4]]);

        Assert.Equal(ids[1..3], (await log.ClaimOwnPendingAsync(stream, "g", "a", ids[0], 2)).Frames.Select(f => f.Frame.Id));
        Assert.Equal(
            new[] { ((StreamId[])[ids[0]], "a", 1L), (ids[1..3], "a", 2L), ((StreamId[])[ids[3], ids[5]], "a", 1L) },
            (await LeasesAsync(stream, "g")).Select(l => (l.Ids, l.Consumer, l.Deliveries)),
            new LeaseComparer());

        Assert.Equal([ids[3], ids[5]], (await log.ClaimOwnPendingAsync(stream, "g", "a", ids[2], 10)).Frames.Select(f => f.Frame.Id));
        Assert.Equal(
            new[] { ((StreamId[])[ids[0]], "a", 1L), (ids[1..3], "a", 2L), ((StreamId[])[ids[3], ids[5]], "a", 2L) },
            (await LeasesAsync(stream, "g")).Select(l => (l.Ids, l.Consumer, l.Deliveries)),
            new LeaseComparer());

        // Acknowledging the lot deletes every lease.
        Assert.Equal(5, await log.AcknowledgeAsync(stream, "g", ids));
        Assert.Empty(await LeasesAsync(stream, "g"));
    }

    private sealed class LeaseComparer : IEqualityComparer<(StreamId[] Ids, string Consumer, long Deliveries)>
    {
        public bool Equals((StreamId[] Ids, string Consumer, long Deliveries) x, (StreamId[] Ids, string Consumer, long Deliveries) y) =>
            x.Ids.SequenceEqual(y.Ids) && x.Consumer == y.Consumer && x.Deliveries == y.Deliveries;

        public int GetHashCode((StreamId[] Ids, string Consumer, long Deliveries) obj) => obj.Consumer.GetHashCode(StringComparison.Ordinal);
    }
}
