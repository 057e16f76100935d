using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;

namespace Reactive.Streams.Hosting.Tests;

/// <summary>The registered log forwards every part of the log's contract to the backend it opens.</summary>
public sealed class StreamLogHostingTests
{
    [Fact]
    public async Task The_registered_log_keeps_frame_headers()
    {
        await using var test = new TestHost();
        test.Builder.Services.AddReactiveStreams();
        var host = await test.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();

        await log.AppendAsync("orders", "a"u8.ToArray(), AppendMode.Durable, new Dictionary<string, string> { ["tenant"] = "t1" });
        await log.AppendBatchAsync("orders", ["b"u8.ToArray(), "c"u8.ToArray()], AppendMode.Durable, [null, new Dictionary<string, string> { ["tenant"] = "t2" }]);

        var frames = await log.ReadAsync("orders", StreamId.Min, StreamId.Max, 10);
        Assert.Equal(["t1", null, "t2"], frames.Select(f => f.Headers.TryGetValue("tenant", out var tenant) ? tenant : null));
    }

    [Fact]
    public async Task Consumer_groups_resolve_from_the_same_registration_and_share_the_log()
    {
        await using var test = new TestHost();
        test.Builder.Services.AddReactiveStreams();
        var host = await test.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();
        var groups = host.Services.GetRequiredService<IConsumerGroupLog>();
        Assert.Same(log, groups);

        foreach (var payload in new[] { "a", "b", "c" })
        {
            await log.AppendAsync("orders", payload, AppendMode.Durable);
        }

        Assert.True(await groups.CreateGroupAsync("orders", "billing", ConsumerGroupStart.Beginning));
        var first = await groups.ClaimAsync("orders", "billing", "m1", 2, TimeSpan.FromMinutes(1));
        var second = await groups.ClaimAsync("orders", "billing", "m2", 10, TimeSpan.FromMinutes(1));
        Assert.Equal(2, first.Frames.Count);
        Assert.Single(second.Frames);
        Assert.Empty(first.Frames.Select(f => f.Frame.Id).Intersect(second.Frames.Select(f => f.Frame.Id)));

        Assert.Equal(2, await groups.AcknowledgeAsync("orders", "billing", [.. first.Frames.Select(f => f.Frame.Id)]));
        var pending = await groups.ReadPendingAsync("orders", "billing", consumer: null, limit: 10);
        Assert.Equal([("m2", second.Frames[0].Frame.Id)], pending.Select(p => (p.Consumer, p.Id)));
        var info = await groups.ReadGroupAsync("orders", "billing");
        Assert.Equal(1, info!.PendingCount);
    }

    [Fact]
    public async Task A_group_canal_over_the_registered_log_pulls_every_ready_frame_up_to_max_beyond_the_log_s_read_cap()
    {
        await using var test = new TestHost(new() { ["ReactiveStreams:Log:Sqlite:MaxReadCount"] = "2" });
        test.Builder.Services.AddReactiveStreams();
        var host = await test.StartAsync();
        var groups = host.Services.GetRequiredService<IConsumerGroupLog>();
        var ids = new List<StreamId>();
        foreach (var payload in new[] { "a", "b", "c", "d", "e" })
        {
            ids.Add((await groups.AppendAsync("orders", payload, AppendMode.Durable)).Id);
        }

        // One claim hands out at most the backend's MaxReadCount (2); the canal claims again at once, as it does on
        // the backend's own log, so the pull takes every ready frame up to max.
        await using var member = await ConsumerGroupCanal.OpenAsync(groups, "orders", "billing", "m1");
        var batch = await member.PullBatchAsync(4, TimeSpan.Zero);

        Assert.Equal(ids[..4], batch.Select(f => f.Id));
        Assert.Equal([ids[4]], (await member.PullBatchAsync(10, TimeSpan.Zero)).Select(f => f.Id));
    }

    [Fact]
    public async Task A_cursor_canal_over_the_registered_log_pulls_every_ready_frame_up_to_max_beyond_the_log_s_read_cap()
    {
        await using var test = new TestHost(new() { ["ReactiveStreams:Log:Sqlite:MaxReadCount"] = "2" });
        test.Builder.Services.AddReactiveStreams();
        var host = await test.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();
        var ids = new List<StreamId>();
        foreach (var payload in new[] { "a", "b", "c", "d", "e" })
        {
            ids.Add((await log.AppendAsync("orders", payload, AppendMode.Durable)).Id);
        }

        // One read returns at most the backend's MaxReadCount (2); the canal reads again at once, as it does on the
        // backend's own log, so the pull takes every ready frame up to max.
        await using var canal = await CursorCanal.OpenAsync(log, "orders");
        var batch = await canal.PullBatchAsync(4, TimeSpan.Zero);

        Assert.Equal(ids[..4], batch.Select(f => f.Id));
    }

    [Fact]
    public async Task A_cursor_canal_s_first_pull_over_the_registered_log_not_yet_opened_takes_every_ready_frame_up_to_max()
    {
        await using var test = new TestHost(new() { ["ReactiveStreams:Log:Sqlite:MaxReadCount"] = "2" });
        var ids = new List<StreamId>();
        await using (var seed = await Reactive.Streams.Storage.Sqlite.SqliteStreamLog.OpenAsync(test.DatabasePath))
        {
            foreach (var payload in new[] { "a", "b", "c", "d", "e" })
            {
                ids.Add((await seed.AppendAsync("orders", payload, AppendMode.Durable)).Id);
            }
        }

        // Nothing has used the registered log yet (the host is built, not started, and the canal has no checkpoint to
        // read), so the canal's first pull is what opens the backend: it must still read past the backend's cap of 2.
        test.Builder.Services.AddReactiveStreams();
        using var host = test.Builder.Build();
        var log = host.Services.GetRequiredService<IStreamLog>();
        await using var canal = await CursorCanal.OpenAsync(log, "orders");
        var batch = await canal.PullBatchAsync(4, TimeSpan.Zero).AsTask().WaitAsync(TestHost.Hang);

        Assert.Equal(ids[..4], batch.Select(f => f.Id));
    }

    [Fact]
    public async Task A_call_on_a_disposed_registration_fails_with_ObjectDisposedException()
    {
        var test = new TestHost();
        test.Builder.Services.AddReactiveStreams();
        var host = await test.StartAsync();
        var groups = host.Services.GetRequiredService<IConsumerGroupLog>();
        await test.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await groups.CreateGroupAsync("orders", "billing", ConsumerGroupStart.End));
    }

    [Fact]
    public async Task A_host_whose_start_was_cancelled_while_the_log_opens_disposes_without_waiting_for_the_open()
    {
        // A server that accepts the connection and never answers: the open waits for Npgsql's connect timeout (the
        // longest it allows), unless something cancels it.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var test = new TestHost(new()
        {
            ["ReactiveStreams:Log:Provider"] = "Postgres",
            ["ReactiveStreams:Log:ConnectionString"] = $"Host=127.0.0.1;Port={port};Username=u;Password=p;Database=d;Timeout=1024;Pooling=false",
        }, withLogPath: false);
        test.Builder.Services.AddReactiveStreams();
        var host = test.Builder.Build();
        using var start = new CancellationTokenSource();
        var starting = host.StartAsync(start.Token);
        using var accepted = await silent.AcceptTcpClientAsync().WaitAsync(TestHost.Hang);

        // Ctrl+C while the log is opening: the start ends, and the host is disposed.
        await start.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => starting.WaitAsync(TestHost.Hang));
        await host.StopAsync().WaitAsync(TestHost.Hang);

        await ((IAsyncDisposable)host).DisposeAsync().AsTask().WaitAsync(TestHost.Hang);
        await test.DisposeAsync();
    }
}
