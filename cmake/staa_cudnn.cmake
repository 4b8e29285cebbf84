# cuDNN 9 for the CUDA backend: defines the imported target CUDNN::cudnn and sets
# STAA_CUDNN_FOUND, STAA_CUDNN_INCLUDE_DIR, STAA_CUDNN_LIBRARY; the caller decides what a miss
# means. Used by the build (CMakeLists.txt) and by consumers of an installed staa (staaConfig.cmake:
# staa_tensor is a static library, so their link line needs cuDNN too).
# Searched, in order: CUDNN_ROOT (CMake or environment variable), STAA_CUDNN_HINTS, the CUDA
# toolkit, and the pip package nvidia-cudnn-cu* (site-packages/nvidia/cudnn, e.g. the one inside
# a PyTorch install; its library is only libcudnn.so.9, with no unversioned link).
if(TARGET CUDNN::cudnn)
  set(STAA_CUDNN_FOUND TRUE)
  return()
endif()

set(_staa_cudnn_pip_dirs)
file(GLOB _staa_cudnn_globbed LIST_DIRECTORIES true
  /usr/local/lib/python3*/dist-packages/nvidia/cudnn
  /usr/local/lib/python3*/site-packages/nvidia/cudnn
  /usr/lib/python3/dist-packages/nvidia/cudnn
  /usr/lib/python3*/site-packages/nvidia/cudnn
  /usr/lib64/python3*/site-packages/nvidia/cudnn
  $ENV{HOME}/.local/lib/python3*/site-packages/nvidia/cudnn
  $ENV{VIRTUAL_ENV}/lib/python3*/site-packages/nvidia/cudnn
  $ENV{CONDA_PREFIX}/lib/python3*/site-packages/nvidia/cudnn)
list(APPEND _staa_cudnn_pip_dirs ${_staa_cudnn_globbed})
# The Python on PATH knows where its own packages are (a virtual environment, a user install).
find_program(STAA_PYTHON_FOR_CUDNN NAMES python3 python)
mark_as_advanced(STAA_PYTHON_FOR_CUDNN)
if(STAA_PYTHON_FOR_CUDNN)
  execute_process(
    COMMAND ${STAA_PYTHON_FOR_CUDNN} -c "import nvidia.cudnn as m; print(list(m.__path__)[0])"
    OUTPUT_VARIABLE _staa_cudnn_python_dir OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE _staa_cudnn_python_rc ERROR_QUIET)
  if(_staa_cudnn_python_rc EQUAL 0 AND IS_DIRECTORY "${_staa_cudnn_python_dir}")
    list(APPEND _staa_cudnn_pip_dirs "${_staa_cudnn_python_dir}")
  endif()
endif()

set(_staa_cudnn_roots ${CUDNN_ROOT} $ENV{CUDNN_ROOT} ${STAA_CUDNN_HINTS})
find_path(STAA_CUDNN_INCLUDE_DIR cudnn.h
  HINTS ${_staa_cudnn_roots} ${CUDAToolkit_INCLUDE_DIRS} ${_staa_cudnn_pip_dirs}
  PATH_SUFFIXES include)
find_library(STAA_CUDNN_LIBRARY NAMES cudnn libcudnn.so.9
  HINTS ${_staa_cudnn_roots} ${CUDAToolkit_LIBRARY_DIR} ${_staa_cudnn_pip_dirs}
  PATH_SUFFIXES lib lib64 lib/x64)

set(STAA_CUDNN_FOUND FALSE)
set(STAA_CUDNN_VERSION "")
if(STAA_CUDNN_INCLUDE_DIR AND STAA_CUDNN_LIBRARY)
  set(_staa_cudnn_version_h "${STAA_CUDNN_INCLUDE_DIR}/cudnn_version.h")
  if(EXISTS "${_staa_cudnn_version_h}")
    file(STRINGS "${_staa_cudnn_version_h}" _staa_cudnn_major REGEX "^#define CUDNN_MAJOR +[0-9]+")
    file(STRINGS "${_staa_cudnn_version_h}" _staa_cudnn_minor REGEX "^#define CUDNN_MINOR +[0-9]+")
    string(REGEX REPLACE "^#define CUDNN_MAJOR +([0-9]+).*" "\\1" _staa_cudnn_major
      "${_staa_cudnn_major}")
    string(REGEX REPLACE "^#define CUDNN_MINOR +([0-9]+).*" "\\1" _staa_cudnn_minor
      "${_staa_cudnn_minor}")
    set(STAA_CUDNN_VERSION "${_staa_cudnn_major}.${_staa_cudnn_minor}")
  endif()
  if(STAA_CUDNN_VERSION VERSION_GREATER_EQUAL 9)
    set(STAA_CUDNN_FOUND TRUE)
    add_library(CUDNN::cudnn UNKNOWN IMPORTED)
    set_target_properties(CUDNN::cudnn PROPERTIES
      IMPORTED_LOCATION "${STAA_CUDNN_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${STAA_CUDNN_INCLUDE_DIR}")
  endif()
endif()

# What to tell the user when cuDNN is missing or too old.
set(STAA_CUDNN_HELP
  "the CUDA backend needs cuDNN 9; searched CUDNN_ROOT, the CUDA toolkit and pip's "
  "site-packages/nvidia/cudnn, got cudnn.h: ${STAA_CUDNN_INCLUDE_DIR} (version "
  "'${STAA_CUDNN_VERSION}'), libcudnn: ${STAA_CUDNN_LIBRARY}. Install it (pip install "
  "nvidia-cudnn-cu13, as PyTorch does, or NVIDIA's cudnn9-cuda-13 package), or set CUDNN_ROOT "
  "to the folder holding include/cudnn.h and lib/libcudnn.so*, or build without CUDA "
  "(-DSTAA_CUDA=OFF).")
string(CONCAT STAA_CUDNN_HELP ${STAA_CUDNN_HELP})
