using System.Text;

namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// Members that crash (their frames left pending) and the claims that take their work over: every due frame before
/// any new one however many are due, delivery counts, the dead-letter route past the most deliveries, and the readouts.
/// </summary>
public abstract partial class ConsumerGroupConformanceTests
{
    /// <summary>
    /// docs/consumer-groups.md: a claim takes "expired pending frames, then new ones". A member that crashed holding more
    /// frames than one page of a backend's scan of due frames (Redis read 1000 at a time) must still have all of them
    /// taken over before the group hands out anything new: a claim that stopped after the first page handed new frames
    /// out while due ones waited.
    /// </summary>
    [Fact]
    public async Task A_claim_hands_out_every_due_frame_before_any_new_one_however_many_are_due()
    {
        const int Held = 1500;
        var log = await CreateAsync();
        var stream = NewStream();
        await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await log.AppendBatchAsync(stream, Enumerable.Range(0, Held).Select(i => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes($"f{i}")).ToArray(), AppendMode.Durable);
        var held = (await log.ClaimAsync(stream, "g", "crashed", Held, ClaimTimeout)).Frames.Select(f => f.Frame.Id).ToArray();
        Assert.Equal(Held, held.Length);
        await PassAsync(ClaimTimeout);
        var fresh = await AppendAsync(log, stream, 3, "n");

        var claim = await log.ClaimAsync(stream, "g", "b", Held, ClaimTimeout);

        Assert.Equal(held, claim.Frames.Select(f => f.Frame.Id));
        Assert.All(claim.Frames, f => Assert.Equal(2, f.DeliveryCount));
        Assert.Equal(held[^1], claim.LastDeliveredId);
        var info = await log.ReadGroupAsync(stream, "g");
        Assert.Equal((held[^1], (long)Held, 3L), (info!.LastDeliveredId, info.PendingCount, info.Lag));
        Assert.Equal(new[] { ("b", (long)Held), ("crashed", 0L) }, info.Members.Select(m => (m.Name, m.PendingCount)));

        var next = await log.ClaimAsync(stream, "g", "b", Held, ClaimTimeout);
        Assert.Equal(fresh, next.Frames.Select(f => f.Frame.Id));
        Assert.All(next.Frames, f => Assert.Equal(1, f.DeliveryCount));
    }
}
