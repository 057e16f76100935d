using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Reactive.Streams.Tests.Pipeline;

/// <summary>
/// Consumer groups across process deaths: three member processes (<see cref="GroupMember"/>) share a stream; one of
/// them, at random, is killed (SIGKILL) at random points and replaced, several rounds. At the end every frame was
/// handed out and acknowledged, no frame was handed to a member while another member's claim on it was live (a
/// redelivery comes at least the claim timeout after the previous delivery, by the claims' own clock), and every
/// redelivery is of a frame whose previous holder was killed, or had not acknowledged it within the claim timeout (the
/// claim timeout is real time: a member process stalled that long on a loaded machine has let its claim expire, and the
/// group rightly treats it as dead). A backend's test project derives from this, and its test
/// program runs <see cref="GroupMember.RunAsync"/> for <c>group-member &lt;MemberArgument&gt; &lt;name&gt; &lt;claim timeout ms&gt;</c>.
/// </summary>
public abstract class GroupKillTests
{
    private const int Frames = 600;
    private const int Kills = 3;

    /// <summary>Opens a log on the test's storage.</summary>
    protected abstract Task<IConsumerGroupLog> OpenLogAsync();

    /// <summary>What a member process needs to open the same log (a path, a connection string).</summary>
    protected abstract string MemberArgument { get; }

    /// <summary>The group's claim timeout: a killed member's frames wait this long before others reclaim them.</summary>
    protected virtual TimeSpan ClaimTimeout => TimeSpan.FromSeconds(4);

    /// <summary>
    /// How far apart the clocks of two claims may read for the same instant. Zero where every member reads the machine's
    /// clock through <see cref="GroupMember.RecordingClock"/>; a backend whose server measures the timeout sets its error.
    /// </summary>
    protected virtual TimeSpan ClockSlack => TimeSpan.Zero;

    [Fact]
    public async Task Members_killed_at_random_points_lose_nothing_and_never_share_a_live_claim()
    {
        await using var producer = await OpenLogAsync();
        await producer.CreateGroupAsync(GroupMember.Stream, GroupMember.Group, ConsumerGroupStart.Beginning);
        var appended = 0;
        async Task AppendRoundAsync()
        {
            var round = Enumerable.Range(appended, Frames / (Kills + 1)).Select(n => (ReadOnlyMemory<byte>)BitConverter.GetBytes(n)).ToArray();
            await producer.AppendBatchAsync(GroupMember.Stream, round, AppendMode.Durable);
            appended += round.Length;
        }

        var random = new Random(2026);
        var deliveries = new ConcurrentQueue<Delivery>();
        var acks = new ConcurrentDictionary<(string Member, long ClaimMs), long>();
        var members = new List<Member>();
        var killed = new HashSet<string>(StringComparer.Ordinal);
        var generation = 0;
        try
        {
            for (var i = 0; i < 3; i++)
            {
                members.Add(await StartAsync($"m{generation++}", deliveries, acks));
            }

            // Each round appends a quarter of the frames and kills a member after a random number of further deliveries,
            // which that round's frames are enough for; the last round's frames need the others to finish.
            for (var kill = 0; kill < Kills; kill++)
            {
                var at = deliveries.Count + random.Next(10, Frames / (Kills + 1) / 2);
                await AppendRoundAsync();
                var guard = Stopwatch.StartNew();
                while (deliveries.Count < at)
                {
                    Assert.True(guard.Elapsed < TimeSpan.FromSeconds(90), $"the members stalled at {deliveries.Count} deliveries");
                    await Task.Delay(5);
                }

                var victim = members[random.Next(members.Count)];
                victim.Process.Kill(entireProcessTree: true);
                await victim.Process.WaitForExitAsync();
                killed.Add(victim.Name);
                members.Remove(victim);
                members.Add(await StartAsync($"m{generation++}", deliveries, acks));
            }

            // Done when the group has handed out everything and every frame is acknowledged.
            await AppendRoundAsync();
            var log = producer;
            var wait = Stopwatch.StartNew();
            while (await log.ReadGroupAsync(GroupMember.Stream, GroupMember.Group) is not { Lag: 0, PendingCount: 0 })
            {
                Assert.True(wait.Elapsed < TimeSpan.FromSeconds(90), "the group never acknowledged every frame");
                await Task.Delay(20);
            }
        }
        finally
        {
            foreach (var member in members)
            {
                member.Process.Kill(entireProcessTree: true);
                await member.Process.WaitForExitAsync();
                member.Process.Dispose();
            }
        }

        var all = deliveries.ToArray();
        Assert.Equal(Frames, appended);
        Assert.Equal(Frames, all.Select(d => d.Id).Distinct().Count());
        foreach (var frame in all.GroupBy(d => d.Id))
        {
            var byCount = frame.ToDictionary(d => d.Count);
            Assert.True(byCount.Count == frame.Count(), $"frame {frame.Key} was reported twice with one delivery count");
            foreach (var delivery in frame.Where(d => d.Count > 1))
            {
                if (!byCount.TryGetValue(delivery.Count - 1, out var previous))
                {
                    continue; // its previous holder died before reporting it: only a killed member can
                }

                // A member that was not killed loses a frame only by not acknowledging it within the claim timeout: a
                // process stalled that long (a loaded machine) is dead to the group, as it should be, and no other.
                var expired = killed.Contains(previous.Member) ||
                    !acks.TryGetValue((previous.Member, previous.ClaimMs), out var ackMs) ||
                    ackMs - previous.ClaimMs >= (long)(ClaimTimeout - ClockSlack).TotalMilliseconds;
                Assert.True(expired, $"frame {frame.Key} was redelivered to {delivery.Member} though its holder {previous.Member} was never killed and acknowledged it in time");
                Assert.True(
                    delivery.ClaimMs - previous.ClaimMs >= (long)(ClaimTimeout - ClockSlack).TotalMilliseconds,
                    $"frame {frame.Key} went to {delivery.Member} at {delivery.ClaimMs} while {previous.Member}'s claim of {previous.ClaimMs} was live");
            }
        }
    }

    private async Task<Member> StartAsync(string name, ConcurrentQueue<Delivery> deliveries, ConcurrentDictionary<(string Member, long ClaimMs), long> acks)
    {
        var process = Process.Start(new ProcessStartInfo
        {
            FileName = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet",
            ArgumentList =
            {
                "exec", GetType().Assembly.Location, "group-member", MemberArgument, name,
                ((long)ClaimTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        _ = process.StandardError.ReadToEndAsync();
        var ready = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(ready == "ready", $"member {name} did not start: {ready}");
        _ = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                // A line cut short by the kill is not a delivery report.
                if (line.Split(' ') is ["got", var id, var count, var claimMs] &&
                    StreamId.TryParse(id, out var frameId) &&
                    long.TryParse(count, CultureInfo.InvariantCulture, out var n) &&
                    long.TryParse(claimMs, CultureInfo.InvariantCulture, out var ms))
                {
                    deliveries.Enqueue(new Delivery(name, frameId, n, ms));
                }
                else if (line.Split(' ') is ["acked", var claimedMs, var ackedMs] &&
                    long.TryParse(claimedMs, CultureInfo.InvariantCulture, out var claimed) &&
                    long.TryParse(ackedMs, CultureInfo.InvariantCulture, out var acked))
                {
                    acks[(name, claimed)] = acked;
                }
            }
        });
        return new Member(name, process);
    }

    private sealed record Member(string Name, Process Process);

    private sealed record Delivery(string Member, StreamId Id, long Count, long ClaimMs);
}
