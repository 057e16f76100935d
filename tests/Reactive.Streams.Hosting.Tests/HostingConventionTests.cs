using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Reactive.Streams.Hosting.Tests;

/// <summary>What a user of Microsoft.Extensions.Hosting expects of the registration, the start and the stop.</summary>
public sealed class HostingConventionTests
{
    private sealed class NullSink(string name) : IDeliverySink<int>
    {
        public string Name => name;

        public ValueTask WriteAsync(int item, CancellationToken cancellationToken) => default;
    }

    [Fact]
    public async Task A_dispatcher_without_a_sink_fails_the_start_with_an_options_error_naming_its_section()
    {
        await using var test = new TestHost();
        test.Builder.Services.AddReactiveStreams().AddDispatcher<int>("audit", _ => { });

        var error = await Assert.ThrowsAnyAsync<Exception>(test.StartAsync);

        var validation = Assert.IsType<OptionsValidationException>(error);
        Assert.Contains("ReactiveStreams:Dispatchers:audit: dispatcher 'audit' has no sink", validation.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("file", "file")]
    [InlineData("file", "File")]   // one configuration section, Sinks:file, for both
    public async Task Two_sinks_of_one_name_fail_the_start_with_an_options_error_naming_the_sink_section(string first, string second)
    {
        await using var test = new TestHost();
        test.Builder.Services.AddReactiveStreams().AddDispatcher<int>("audit", d => d.AddSink(_ => new NullSink(first)).AddSink(_ => new NullSink(second)));

        var error = await Assert.ThrowsAnyAsync<Exception>(test.StartAsync);

        var validation = Assert.IsType<OptionsValidationException>(error);
        Assert.Contains($"ReactiveStreams:Dispatchers:audit:Sinks:{second}: ", validation.Message, StringComparison.Ordinal);
        Assert.Contains("unique", validation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sink_without_a_name_fails_the_start_with_an_options_error_naming_the_sinks_section()
    {
        await using var test = new TestHost();
        test.Builder.Services.AddReactiveStreams().AddDispatcher<int>("audit", d => d.AddSink(_ => new NullSink("file")).AddSink(_ => new NullSink("")));

        var error = await Assert.ThrowsAnyAsync<Exception>(test.StartAsync);

        var validation = Assert.IsType<OptionsValidationException>(error);
        Assert.Contains("ReactiveStreams:Dispatchers:audit:Sinks: sink #1 (NullSink) has no name", validation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_checks_without_the_registration_say_that_AddReactiveStreams_is_missing()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddHealthChecks().AddReactiveStreams();
        await using var provider = services.BuildServiceProvider();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => provider.GetRequiredService<HealthCheckService>().CheckHealthAsync());

        Assert.Contains("AddReactiveStreams", error.Message, StringComparison.Ordinal);
    }
}
