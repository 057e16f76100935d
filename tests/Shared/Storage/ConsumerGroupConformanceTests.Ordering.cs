using System.Collections.Concurrent;
using System.Text;

namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// docs/consumer-groups.md, "What order a group guarantees", read literally while the stream grows: within a batch
/// frames are in id order, and "within one member, its batches of new frames come in id order: a member never gets a
/// new frame older than one it got before", with durable and best-effort frames appended by another instance while
/// members on several instances claim; and each frame goes to one member. What the page disclaims (an order across
/// members) is not asserted.
/// </summary>
public abstract partial class ConsumerGroupConformanceTests
{
    [Fact]
    public async Task While_frames_of_both_modes_are_appended_each_member_gets_new_frames_in_increasing_id_order_across_its_batches()
    {
        const int Batches = 40;
        var options = new StreamLogOptions
        {
            TimeProvider = Clock,
            LiveRetention = new LiveRetentionOptions { Floor = 1000, Ceiling = 1000 },
        };
        var writer = Track(await OpenLogAsync(options));
        var stream = NewStream("order");
        await writer.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        var logs = new[] { Track(await OpenLogAsync(options)), Track(await OpenLogAsync(options)), Track(await OpenLogAsync(options)) };
        var appended = new ConcurrentQueue<StreamId>();
        var written = 0;

        var writing = Task.Run(async () =>
        {
            for (var b = 0; b < Batches; b++)
            {
                var mode = b % 3 == 2 ? AppendMode.BestEffortLive : AppendMode.Durable;
                var frames = Enumerable.Range(0, 1 + (b % 4)).Select(i => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes($"{b}.{i}")).ToArray();
                var result = await writer.AppendBatchAsync(stream, frames, mode);
                for (var i = 0; i < frames.Length; i++)
                {
                    appended.Enqueue(new StreamId(result.FirstId.Milliseconds, result.FirstId.Sequence + i));
                }

                if (b % 5 == 4)
                {
                    // The clock moves on now and then: ids of later batches start a new millisecond.
                    Clock.Advance(TimeSpan.FromMilliseconds(1));
                }
            }

            Volatile.Write(ref written, 1);
        });

        var members = await Task.WhenAll(logs.Select((log, m) => Task.Run(async () =>
        {
            var got = new List<(StreamId Id, long Count)>();
            while (true)
            {
                var done = Volatile.Read(ref written) == 1;
                var claim = await log.ClaimAsync(stream, "g", $"m{m}", 1 + (m * 2), ClaimTimeout);
                got.AddRange(claim.Frames.Select(f => (f.Frame.Id, f.DeliveryCount)));
                if (claim.Frames.Count == 0 && done)
                {
                    return got;
                }
            }
        }))).WaitAsync(Guard * 3);
        await writing.WaitAsync(Guard);

        // No claim timeout passed: every frame is new, handed out once, and each member's run of them only rises.
        Assert.All(members.SelectMany(m => m), f => Assert.Equal(1, f.Count));
        foreach (var member in members)
        {
            var ids = member.Select(f => f.Id).ToArray();
            Assert.Equal(ids.Order(), ids);
            Assert.Equal(ids.Length, ids.Distinct().Count());
        }

        var all = members.SelectMany(m => m.Select(f => f.Id)).Order().ToArray();
        Assert.Equal(appended.Order(), all);
        var info = await writer.ReadGroupAsync(stream, "g");
        Assert.Equal((all[^1], (long)all.Length, 0L), (info!.LastDeliveredId, info.PendingCount, info.Lag));
    }
}
