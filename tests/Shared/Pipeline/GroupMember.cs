using System.Globalization;
using System.Text;

namespace Reactive.Streams.Tests.Pipeline;

/// <summary>
/// The member process of <see cref="GroupKillTests"/>: one <see cref="ConsumerGroupCanal"/> member of
/// <see cref="Group"/> on <see cref="Stream"/> that, for every batch it pulls, prints one line per frame,
/// <c>got &lt;id&gt; &lt;delivery count&gt; &lt;claim ms&gt;</c>, before handling it, then handles it (a short delay),
/// commits, and prints <c>acked &lt;claim ms&gt; &lt;ack ms&gt;</c>. The claim time is the log clock's reading of the
/// claim that returned the batch (<see cref="RecordingClock"/>), so the parent can tell a reclaim of an expired claim
/// from a frame handed to two live members, and the acknowledgement time tells it whether a member that was not killed
/// let its claim expire (a process stalled on a loaded machine) before a frame of it went to another member. A backend's test program runs it for <c>group-member &lt;argument&gt; &lt;name&gt; &lt;claim timeout ms&gt;</c>.
/// </summary>
public static class GroupMember
{
    public const string Stream = "group-kill";
    public const string Group = "workers";

    /// <summary>Runs the member until the process is killed.</summary>
    /// <param name="log">The log, opened with <paramref name="clock"/> as its clock.</param>
    /// <param name="clock">The log's clock.</param>
    /// <param name="name">The member's name.</param>
    /// <param name="claimTimeout">The group's claim timeout.</param>
    public static async Task<int> RunAsync(IConsumerGroupLog log, RecordingClock clock, string name, TimeSpan claimTimeout)
    {
        await using var canal = await ConsumerGroupCanal.OpenAsync(log, Stream, Group, name, new ConsumerGroupCanalOptions
        {
            ClaimTimeout = claimTimeout,
            MaxDeliveries = 1000,
        });
        await Console.Out.WriteLineAsync("ready");
        await Console.Out.FlushAsync();
        var lines = new StringBuilder();
        while (true)
        {
            var batch = await canal.PullBatchAsync(10, TimeSpan.FromSeconds(1));
            if (batch.IsEmpty)
            {
                continue;
            }

            var claimMs = clock.LastUnixMilliseconds;
            lines.Clear();
            foreach (var frame in batch)
            {
                lines.Append(CultureInfo.InvariantCulture, $"got {frame.Id} {canal.DeliveryCountOf(frame)} {claimMs}\n");
            }

            await Console.Out.WriteAsync(lines.ToString());
            await Console.Out.FlushAsync();
            await Task.Delay(5); // the handler's work: long enough that kills land while frames are held
            await canal.CommitAsync(batch.Last);
            // When the acknowledgement returned (the machine's clock, not the recording one): a frame of this batch
            // handed to another member too is then a reclaim of a claim this member let expire, not of a live one.
            await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"acked {claimMs} {TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds()}"));
            await Console.Out.FlushAsync();
        }
    }

    /// <summary>The system clock, remembering its latest wall-clock reading: in a member process only claims read it.</summary>
    public sealed class RecordingClock : TimeProvider
    {
        private long _last;

        public long LastUnixMilliseconds => Volatile.Read(ref _last);

        public override DateTimeOffset GetUtcNow()
        {
            var now = System.GetUtcNow();
            Volatile.Write(ref _last, now.ToUnixTimeMilliseconds());
            return now;
        }
    }
}
