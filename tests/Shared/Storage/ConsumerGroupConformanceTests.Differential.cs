using System.Text;

namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// One long scenario of group calls, compared call by call with <see cref="InMemoryStreamLog"/> on the same virtual
/// clock, as the stream log's own differential test does: durable and best-effort appends (single and batches, a small
/// best-effort bound that trims), two groups started at the beginning, the end or after an id that exists, lies between
/// frames or lies ahead, claims and own-pending claims by three members with small limits (and a read cap of 5), claim
/// timeouts passing, acknowledgements of held, foreign, repeated and never-delivered ids, and after every step the
/// group's cursor, pending count, lag, members and pending list. docs/consumer-groups.md describes one behaviour for
/// every backend, and claim timeouts and idle times on the log's clock, so every answer must be the same.
/// </summary>
public abstract partial class ConsumerGroupConformanceTests
{
    private static readonly string[] s_members = ["a", "b", "c"];

    private static string Describe(ConsumerGroupClaim claim) =>
        $"[{string.Join(", ", claim.Frames.Select(f => $"{f.Frame.Id}:{Text(f.Frame)}:{f.Frame.Mode}x{f.DeliveryCount}"))}] cursor {claim.LastDeliveredId}";

    private static string Describe(ConsumerGroupInfo? info) =>
        info is null
            ? "no group"
            : $"cursor {info.LastDeliveredId}, pending {info.PendingCount}, lag {info.Lag}, members "
              + string.Join(", ", info.Members.Select(m => $"{m.Name}:{m.PendingCount}:{m.Idle.TotalMilliseconds}ms"));

    private static string Describe(IReadOnlyList<PendingFrame> pending) =>
        string.Join(", ", pending.Select(p => $"{p.Id}@{p.Consumer}:{p.Idle.TotalMilliseconds}ms x{p.DeliveryCount}"));

    /// <summary>Runs a call on both logs: the same result, or the same kind of exception.</summary>
    private static async Task SameAsync<T>(
        List<string> history, string what, Func<IConsumerGroupLog, ValueTask<T>> call, IConsumerGroupLog log, IConsumerGroupLog reference, Func<T, string> describe)
    {
        string Outcome(Task<T> done) => done.IsCompletedSuccessfully ? describe(done.Result) : $"throws {done.Exception!.InnerException!.GetType().Name}";

        Task<T> Run(IConsumerGroupLog l)
        {
            try
            {
                return call(l).AsTask();
            }
            catch (Exception e)
            {
                // An unknown group may be thrown by the call itself or by its task: either is the same answer here.
                return Task.FromException<T>(e);
            }
        }

        var expected = Run(reference);
        var actual = Run(log);
        await Task.WhenAll(expected.ContinueWith(_ => { }, TaskScheduler.Default), actual.ContinueWith(_ => { }, TaskScheduler.Default)).WaitAsync(Guard);
        var (want, got) = (Outcome(expected), Outcome(actual));
        Assert.True(want == got, $"{string.Join("\n", history.TakeLast(30))}\n{what}\n  in memory: {want}\n  this log:  {got}");
        history.Add($"{what}: {want}");
    }

    /// <summary>
    /// Seeds 1-4: a read cap of 5 (below some limits) and a fixed best-effort bound of 3. Seeds 5-6: no cap in the way,
    /// limits up to 12, and a bound that follows the best-effort rate (2 to 40), as the stream log's differential test does.
    /// </summary>
    [Theory]
    [InlineData(1, 5, 3, 3, 1.0)]
    [InlineData(2, 5, 3, 3, 1.0)]
    [InlineData(3, 5, 3, 3, 1.0)]
    [InlineData(4, 5, 3, 3, 1.0)]
    [InlineData(5, 1000, 2, 40, 0.3)]
    [InlineData(6, 1000, 2, 40, 0.3)]
    public async Task A_long_scenario_of_group_calls_gives_what_the_in_memory_log_gives_at_every_step(int seed, int maxReadCount, int floor, int ceiling, double alpha)
    {
        var options = new StreamLogOptions
        {
            TimeProvider = Clock,
            MaxReadCount = maxReadCount,
            LiveRetention = new LiveRetentionOptions { Alpha = alpha, Ttl = TimeSpan.FromSeconds(1), Floor = floor, Ceiling = ceiling },
        };
        var maxLimit = maxReadCount > 5 ? 13 : 8;
        // Two instances on this backend's storage, used in turn (members on several connections or processes).
        var logs = new[] { Track(await OpenLogAsync(options)), Track(await OpenLogAsync(options)) };
        var reference = Track(new InMemoryStreamLog(options));
        var stream = NewStream("diff");
        var random = new Random(seed);
        var ids = new List<StreamId>();
        var groups = new[] { "g1", "g2" };
        var timeout = TimeSpan.FromSeconds(10);
        var history = new List<string>();

        for (var step = 0; step < 200; step++)
        {
            var log = logs[step % 2];
            var group = groups[random.Next(groups.Length)];
            var member = s_members[random.Next(s_members.Length)];
            var context = $"seed {seed} step {step}";
            switch (random.Next(10))
            {
                case 0 or 1:
                {
                    var mode = random.Next(3) == 0 ? AppendMode.BestEffortLive : AppendMode.Durable;
                    var count = random.Next(1, 4);
                    var payloads = Enumerable.Range(0, count).Select(i => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes($"{step}.{i}")).ToArray();
                    var expected = await reference.AppendBatchAsync(stream, payloads, mode);
                    var actual = await log.AppendBatchAsync(stream, payloads, mode);
                    Assert.Equal((context, expected.FirstId, expected.LastId), (context, actual.FirstId, actual.LastId));
                    history.Add($"{context} append {count} {mode}: {expected.FirstId}..{expected.LastId}");
                    ids.AddRange((await reference.ReadAsync(stream, expected.FirstId, expected.LastId, count)).Select(f => f.Id));
                    break;
                }

                case 2:
                {
                    ConsumerGroupStart start = random.Next(5) switch
                    {
                        0 => ConsumerGroupStart.Beginning,
                        1 => ConsumerGroupStart.End,
                        2 when ids.Count > 0 => ConsumerGroupStart.After(ids[random.Next(ids.Count)]),
                        3 when ids.Count > 0 => ConsumerGroupStart.After(new StreamId(ids[random.Next(ids.Count)].Milliseconds, 7)),
                        _ => ConsumerGroupStart.After(new StreamId(Clock.GetUtcNow().ToUnixTimeMilliseconds() + random.Next(0, 3000), 0)),
                    };
                    await SameAsync(history, $"{context} create {group} {start.Kind} {start.Id}", l => l.CreateGroupAsync(stream, group, start), log, reference, c => c.ToString());
                    break;
                }

                case 3 or 4:
                {
                    var limit = random.Next(1, maxLimit);
                    await SameAsync(history, $"{context} claim {group} {member} {limit}", l => l.ClaimAsync(stream, group, member, limit, timeout), log, reference, Describe);
                    break;
                }

                case 5:
                {
                    var after = ids.Count == 0 || random.Next(2) == 0 ? StreamId.Min : ids[random.Next(ids.Count)];
                    var limit = random.Next(1, maxLimit);
                    await SameAsync(history, $"{context} own {group} {member} after {after} {limit}", l => l.ClaimOwnPendingAsync(stream, group, member, after, limit), log, reference, Describe);
                    break;
                }

                case 6:
                {
                    // Held, other members', repeated, never delivered and unknown ids alike.
                    var acknowledged = Enumerable.Range(0, random.Next(1, 5))
                        .Select(_ => ids.Count == 0 || random.Next(6) == 0 ? new StreamId(1, 1) : ids[random.Next(ids.Count)])
                        .ToArray();
                    await SameAsync(history, $"{context} ack {group} {string.Join(" ", acknowledged)}", l => l.AcknowledgeAsync(stream, group, acknowledged), log, reference, n => n.ToString());
                    break;
                }

                case 7:
                {
                    var consumer = random.Next(2) == 0 ? null : member;
                    var limit = random.Next(1, maxLimit);
                    await SameAsync(history, $"{context} pending {group} {consumer} {limit}", l => l.ReadPendingAsync(stream, group, consumer, limit), log, reference, Describe);
                    break;
                }

                case 8 when random.Next(4) == 0:
                    // The wall clock set back (idle times read as zero, claims expire only at their time plus the timeout).
                    var back = random.Next(1, 5000);
                    Clock.MoveWallClock(TimeSpan.FromMilliseconds(-back));
                    history.Add($"{context} wall clock back {back} ms");
                    break;

                default:
                    var passed = random.Next(4) == 0 ? random.Next(9000, 12000) : random.Next(1, 3000);
                    await PassAsync(TimeSpan.FromMilliseconds(passed));
                    history.Add($"{context} {passed} ms pass");
                    break;
            }

            foreach (var g in groups)
            {
                await SameAsync(history, $"{context} info {g}", l => l.ReadGroupAsync(stream, g), log, reference, Describe);
            }
        }
    }
}
