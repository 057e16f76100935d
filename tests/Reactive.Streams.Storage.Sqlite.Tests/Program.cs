using System.Security.Cryptography;
using Reactive.Streams.Storage.Sqlite;
using Reactive.Streams.Tests.Pipeline;

namespace Reactive.Streams.Storage.Sqlite.Tests;

/// <summary>
/// Entry point of this test assembly when run as a program: <c>crash-writer &lt;file&gt;</c> appends to the log
/// forever, printing each append's id and index only after the append returned, until it is killed;
/// <c>pipeline-consumer &lt;file&gt; &lt;seed&gt;</c> is the kill test's consumer;
/// <c>group-member &lt;file&gt; &lt;name&gt; &lt;claim timeout ms&gt;</c> is a member of the group kill test.
/// </summary>
public static class Program
{
    public const string CrashStream = "crash";

    public static async Task<int> Main(string[] args)
    {
        if (args is ["pipeline-consumer", var database, var seed])
        {
            await using var consumerLog = await SqliteStreamLog.OpenAsync(database);
            return await PipelineConsumer.RunAsync(consumerLog, int.Parse(seed, System.Globalization.CultureInfo.InvariantCulture));
        }

        if (args is ["group-member", var groupDatabase, var name, var timeoutMs])
        {
            var clock = new GroupMember.RecordingClock();
            await using var groupLog = await SqliteStreamLog.OpenAsync(groupDatabase, new SqliteStreamLogOptions { TimeProvider = clock });
            return await GroupMember.RunAsync(groupLog, clock, name, TimeSpan.FromMilliseconds(long.Parse(timeoutMs, System.Globalization.CultureInfo.InvariantCulture)));
        }

        if (args is not ["crash-writer", var path])
        {
            return 0;
        }

        await using var log = await SqliteStreamLog.OpenAsync(path);
        for (var i = 0; ; i++)
        {
            if (i % 10 == 9)
            {
                var batch = await log.AppendBatchAsync(CrashStream, Enumerable.Range(0, 5).Select(j => (ReadOnlyMemory<byte>)Payload((i * 100) + j)).ToList(), AppendMode.Durable);
                await Console.Out.WriteLineAsync($"{batch.FirstId} {batch.LastId}");
            }
            else
            {
                var result = await log.AppendAsync(CrashStream, Payload(i * 100), AppendMode.Durable);
                await Console.Out.WriteLineAsync($"{result.Id} {result.Id}");
            }

            await Console.Out.FlushAsync();
        }
    }

    /// <summary>A self-checking payload: 4-byte index, 0-8 KiB of data derived from it, and the SHA-256 of both.</summary>
    public static byte[] Payload(int index)
    {
        var length = (int)((uint)index * 7919L % 8192);
        var body = new byte[4 + length];
        BitConverter.TryWriteBytes(body, index);
        for (var k = 4; k < body.Length; k++)
        {
            body[k] = (byte)(index + k);
        }

        return [.. body, .. SHA256.HashData(body)];
    }

    public static bool IsIntact(ReadOnlySpan<byte> payload) =>
        payload.Length >= 36 && SHA256.HashData(payload[..^32]).AsSpan().SequenceEqual(payload[^32..]);
}
