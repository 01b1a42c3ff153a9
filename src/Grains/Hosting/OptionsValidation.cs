using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace PatrolHub.Grains.Hosting;

public static class OptionsValidation
{
    /// <summary>Validates the options on start with <paramref name="validate"/>, which returns the sentence naming the
    /// key that is wrong, or null; a wrong setting stops start-up with that sentence.</summary>
    public static OptionsBuilder<T> Validated<T>(this OptionsBuilder<T> builder, Func<T, string?> validate) where T : class
    {
        builder.Services.AddSingleton<IValidateOptions<T>>(new SentenceValidator<T>(builder.Name, validate));
        return builder.ValidateOnStart();
    }

    private sealed class SentenceValidator<T>(string name, Func<T, string?> validate) : IValidateOptions<T> where T : class
    {
        public ValidateOptionsResult Validate(string? optionsName, T options) =>
            optionsName != name ? ValidateOptionsResult.Skip
            : validate(options) is { } error ? ValidateOptionsResult.Fail(error)
            : ValidateOptionsResult.Success;
    }
}
