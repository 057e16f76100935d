using Reactive.Streams.Tests.Pipeline;

namespace Reactive.Streams.Storage.Postgres.Tests;

/// <summary>
/// Entry point of this test assembly when run as a program: <c>pipeline-consumer &lt;connection string&gt; &lt;seed&gt;</c>
/// is the kill test's consumer process; <c>group-member &lt;connection string&gt; &lt;name&gt; &lt;claim timeout ms&gt;</c> is a member
/// of the group kill test.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is ["group-member", var groupConnectionString, var name, var timeoutMs])
        {
            var clock = new GroupMember.RecordingClock();
            await using var groupLog = await PostgresStreamLog.OpenAsync(groupConnectionString, new PostgresStreamLogOptions { TimeProvider = clock });
            return await GroupMember.RunAsync(groupLog, clock, name, TimeSpan.FromMilliseconds(long.Parse(timeoutMs, System.Globalization.CultureInfo.InvariantCulture)));
        }

        if (args is not ["pipeline-consumer", var connectionString, var seed])
        {
            return 0;
        }

        await using var log = await PostgresStreamLog.OpenAsync(connectionString);
        return await PipelineConsumer.RunAsync(log, int.Parse(seed, System.Globalization.CultureInfo.InvariantCulture));
    }
}
