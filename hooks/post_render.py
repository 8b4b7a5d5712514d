"""Post-render task: audit the freshly rendered service; a template that breaks a rule fails."""
import sys
print("post-render", sys.argv[1:])
