using System.Collections.Concurrent;

namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// A log disposed while members claim, read their pending frames and the group, and acknowledge (docs/stream-log.md:
/// every call after disposal throws <see cref="ObjectDisposedException"/>): each call in flight either finishes or
/// throws that, never another error, and no frame is lost: another instance over the same storage reclaims every frame
/// that was not acknowledged, each once, once the claim timeout has passed (the in-memory log, whose storage ends with
/// it, checks the first part only).
/// </summary>
public abstract partial class ConsumerGroupConformanceTests
{
    [Fact]
    public async Task Disposing_a_log_while_group_calls_run_fails_each_unfinished_one_with_object_disposed_and_loses_no_frame()
    {
        const int Frames = 30;
        var jitter = new Random(29);
        for (var round = 0; round < 8; round++)
        {
            var log = await CreateAsync();
            var stream = NewStream();
            var ids = await AppendAsync(log, stream, Frames);
            await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
            var handedOut = new ConcurrentBag<StreamId>();
            var acknowledged = new ConcurrentBag<StreamId>();
            var errors = new ConcurrentBag<Exception>();
            var members = Enumerable.Range(0, 3).Select(m => Task.Run(async () =>
            {
                try
                {
                    for (var i = 0; i < 20; i++)
                    {
                        var claim = await log.ClaimAsync(stream, "g", $"m{m}", 2, ClaimTimeout);
                        foreach (var frame in claim.Frames)
                        {
                            handedOut.Add(frame.Frame.Id);
                        }

                        _ = await log.ReadPendingAsync(stream, "g", $"m{m}", 10);
                        _ = await log.ReadGroupAsync(stream, "g");
                        if (i % 2 == 0 && claim.Frames.Count > 0)
                        {
                            var batch = claim.Frames.Select(f => f.Frame.Id).ToArray();
                            await log.AcknowledgeAsync(stream, "g", batch);
                            foreach (var id in batch)
                            {
                                acknowledged.Add(id);
                            }
                        }
                    }
                }
                catch (Exception e)
                {
                    errors.Add(e);
                }
            })).ToArray();
            var spins = jitter.Next(0, 400_000);
            await Task.Run(async () =>
            {
                Thread.SpinWait(spins);
                await log.DisposeAsync();
            });
            await Task.WhenAll(members).WaitAsync(Guard);

            Assert.All(errors, e => Assert.True(e is ObjectDisposedException, $"round {round}: {e}"));

            // Nothing is lost: once every claim has timed out, another instance gets each frame not acknowledged, once.
            var peer = await CreateAsync();
            if (ReferenceEquals(peer, log))
            {
                return; // the in-memory log is its own storage: nothing outlives its disposal
            }

            await PassAsync(ClaimTimeout + TimeSpan.FromMilliseconds(1));
            var rest = (await peer.ClaimAsync(stream, "g", "z", Frames * 2, ClaimTimeout)).Frames.Select(f => f.Frame.Id).ToArray();
            Assert.Equal(rest.Distinct().Order(), rest);
            Assert.Empty(rest.Intersect(acknowledged));
            Assert.Empty(ids.Except(handedOut).Except(rest)); // a frame never handed out is still there to claim
            var info = await peer.ReadGroupAsync(stream, "g");
            Assert.Equal((rest.Length, 0L), (info!.PendingCount, info.Lag));
        }
    }
}
