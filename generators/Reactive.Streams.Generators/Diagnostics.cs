using Microsoft.CodeAnalysis;

namespace Reactive.Streams.Generators;

/// <summary>
/// The generator's own diagnostics, RXS1001-RXS1008. Each has a page under docs/rules; severities can be
/// changed in .editorconfig (<c>dotnet_diagnostic.RXS1004.severity = warning</c>).
/// </summary>
internal static class Diagnostics
{
    private const string Category = "Reactive.Streams.Generators";
    private const string HelpLinkBase = "https://github.com/reactive-streams-dotnet/reactive-streams/blob/main/docs/rules/";

    public static readonly DiagnosticDescriptor UnionNotPartial = new(
        id: "RXS1001",
        title: "An event union must be a non-generic abstract partial record, and a stream sink a partial class",
        messageFormat: "'{0}' must be {1}; no code is generated for it",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The generator adds Match, Switch, the kind enum, wire names, shared accessors, the Unknown variant and the JSON converter to the union's own declaration, which needs it (and every type containing it) to be partial; the variants derive from it, which needs an abstract record. A [StreamSink] class gets its adapters the same way and must name an [EventUnion] type.",
        helpLinkUri: HelpLinkBase + "RXS1001.md");

    public static readonly DiagnosticDescriptor VariantNotSealedOrNested = new(
        id: "RXS1002",
        title: "An event union variant must be a sealed record nested in its union",
        messageFormat: "Variant '{0}' of event union '{1}' {2}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Match, Switch and the JSON converter are exhaustive over the nested sealed records of the union; a derived type elsewhere, or one that can be derived from again, would be matched as something it is not, or not at all.",
        helpLinkUri: HelpLinkBase + "RXS1002.md");

    public static readonly DiagnosticDescriptor DuplicateWireName = new(
        id: "RXS1003",
        title: "Two variants of an event union share a wire name",
        messageFormat: "Variants '{0}' and '{1}' of event union '{2}' share the wire name '{3}'",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The wire name is the value of the \"type\" discriminator; two variants with the same one cannot be told apart when read back.",
        helpLinkUri: HelpLinkBase + "RXS1003.md");

    public static readonly DiagnosticDescriptor MissingHandler = new(
        id: "RXS1004",
        title: "A stream sink lacks a handler for a variant",
        messageFormat: "Stream sink '{0}' has no handler 'On{1}' for variant '{1}' of event union '{2}'",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A [StreamSink] class handles every variant of its union by name; a missing handler would silently drop that variant.",
        helpLinkUri: HelpLinkBase + "RXS1004.md");

    public static readonly DiagnosticDescriptor WrongHandlerSignature = new(
        id: "RXS1005",
        title: "A stream sink handler has the wrong signature",
        messageFormat: "Handler '{0}' of stream sink '{1}' must be an instance method 'void {0}({2} item)' or 'ValueTask {0}({2} item)', optionally with a trailing CancellationToken; {3}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The generated adapters call each handler with the variant and, when it takes one, the sink's cancellation token; any other shape cannot be called, and neither can a handler marked [Obsolete] as an error (CS0619 cannot be suppressed in the generated code), nor an inherited one when a more derived class declares another method of its name that the generated call would bind to instead; an 'async void' handler (nothing could wait for it or see its exception), a partial one implemented nowhere (C# removes the call) and an explicit interface implementation (the call cannot reach it) are refused too, and so are two handlers of one class for one variant (only one would run).",
        helpLinkUri: HelpLinkBase + "RXS1005.md");

    public static readonly DiagnosticDescriptor UnusableName = new(
        id: "RXS1006",
        title: "A name in an event union or a stream sink collides with the code the generator adds",
        messageFormat: "'{0}' in {1} {2}; no code is generated for it",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The generator adds a kind enum, a JSON converter, Kind, WireName, Match, Switch and their handler parameters to a union, and DispatchAsync, the Observer, DeliverySink and Target adapters and their factories to a stream sink; a variant, a positional property, a member or a type whose name is one of those (or a C# keyword) would make the generated code fail to compile, so nothing is generated until it is renamed.",
        helpLinkUri: HelpLinkBase + "RXS1006.md");

    public static readonly DiagnosticDescriptor WrongDegrader = new(
        id: "RXS1007",
        title: "A stream sink's degrader is missing or has the wrong signature",
        messageFormat: "Degrader '{0}' of stream sink '{1}' must be a static method '{2} {0}({2} item)'; {3}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A sink's buffer holds its union, so the degrader named by [Backpressure(Degrader = nameof(M))] maps one union value to another; a method of another shape cannot be called, and the sink would fail with MissingDegraderException at its first overflow.",
        helpLinkUri: HelpLinkBase + "RXS1007.md");

    public static readonly DiagnosticDescriptor UnsupportedJson = new(
        id: "RXS1008",
        title: "An event union variant declares JSON the generated converter would not write as declared",
        messageFormat: "'{0}' in event union '{1}' {2}; no code is generated for the union",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The generated converter writes each variant's positional parameters with their types' converters. A [JsonIgnore], [JsonConverter] or other System.Text.Json attribute on one of them, a settable or [JsonInclude] member outside them, a property of the union itself, a System.Text.Json attribute on a variant's record or on the union, or a [JsonConstructor] would be written differently from what the declaration says (a secret written out, a value dropped), so it is refused at compile time.",
        helpLinkUri: HelpLinkBase + "RXS1008.md");

    public static DiagnosticDescriptor ById(string id) => id switch
    {
        "RXS1001" => UnionNotPartial,
        "RXS1002" => VariantNotSealedOrNested,
        "RXS1003" => DuplicateWireName,
        "RXS1004" => MissingHandler,
        "RXS1005" => WrongHandlerSignature,
        "RXS1006" => UnusableName,
        "RXS1007" => WrongDegrader,
        "RXS1008" => UnsupportedJson,
        _ => throw new ArgumentOutOfRangeException(nameof(id), id, "Unknown diagnostic id."),
    };
}
