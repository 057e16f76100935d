using Reactive.Streams.Tests.Pipeline;

namespace Reactive.Streams.Storage.Redis.Tests;

/// <summary>
/// Entry point of this test assembly when run as a program: <c>pipeline-consumer &lt;configuration&gt; &lt;seed&gt;</c>
/// is the kill test's consumer process; <c>group-member &lt;configuration&gt; &lt;name&gt; &lt;claim timeout ms&gt;</c> is a member
/// of the group kill test.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is ["group-member", var groupConfiguration, var name, var timeoutMs])
        {
            var clock = new GroupMember.RecordingClock();
            await using var groupLog = await RedisStreamLog.OpenAsync(groupConfiguration, new RedisStreamLogOptions { TimeProvider = clock });
            return await GroupMember.RunAsync(groupLog, clock, name, TimeSpan.FromMilliseconds(long.Parse(timeoutMs, System.Globalization.CultureInfo.InvariantCulture)));
        }

        if (args is not ["pipeline-consumer", var configuration, var seed])
        {
            return 0;
        }

        await using var log = await RedisStreamLog.OpenAsync(configuration);
        return await PipelineConsumer.RunAsync(log, int.Parse(seed, System.Globalization.CultureInfo.InvariantCulture));
    }
}
