package pagestream.api.cli;

import pagestream.model.hub.HubOptions;
import pagestream.model.hub.ModelSource;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Set;
import java.util.function.Supplier;

/**
 * {@code download --model REPO_ID}: fetches a checkpoint into the Hugging Face cache and prints its local
 * directory (the Kubernetes init container's job, so the service starts offline from a warm cache).
 */
public final class DownloadCommand extends ArgumentCommand {

    private final Supplier<HubOptions> environment;

    public DownloadCommand() {
        this(HubOptions::fromEnvironment);
    }

    /** With hub settings other than the process environment's (tests). */
    DownloadCommand(Supplier<HubOptions> environment) {
        super(Set.of("model", "revision", "cache"), Set.of("offline"));
        this.environment = environment;
    }

    @Override
    public String name() {
        return "download";
    }

    @Override
    public String usage() {
        return """
                --model REPO_ID [--revision R] [--cache DIR] [--offline]
                Downloads a model (owner/name[@revision]) into the Hugging Face cache and prints its directory.
                Cache: --cache, else HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub (shared with Python).
                Progress goes to stderr; cached files are not fetched again; an interrupted download resumes.
                HF_TOKEN authorises gated repositories, HF_ENDPOINT selects a mirror.""";
    }

    @Override
    int run(CliArgs args, PrintStream out, PrintStream err) throws UsageException {
        if (!args.positionals().isEmpty()) {
            throw new UsageException("unexpected argument '" + args.positionals().get(0) + "'");
        }
        String model = args.required("model");
        if (args.value("revision").isPresent()) {
            if (model.contains("@")) {
                throw new UsageException("give the revision either in --model (" + model + ") or with --revision");
            }
            model = model + "@" + args.value("revision").get();
        }
        HubOptions options = environment.get().withRefresh(true).withLog(err::println);
        if (args.value("cache").isPresent()) {
            options = options.withCacheDir(Path.of(args.value("cache").get()));
        }
        if (args.flag("offline")) {
            options = options.withOffline(true);
        }
        out.println(ModelSource.resolve(model, options));
        return 0;
    }
}
